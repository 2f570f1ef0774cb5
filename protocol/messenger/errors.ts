// Errors the messenger reports to the apps: one class, one `code` to branch on, from the closed set
// UserFacingCode (codes.ts). `message` says what happened in technical terms (logs, --json); the words a
// person reads are the UIs', chosen by `code` (client-cli/errors.ts, client-web/src/state/error-text.ts).
import { RelayRequestError } from "../client/index.ts";
import { type IdentityChangeEvent, ProtocolError } from "../session/index.ts";
import type { UserFacingCode } from "./codes.ts";

export class MessengerError extends Error {
	override readonly name = "MessengerError";
	constructor(
		readonly code: UserFacingCode,
		message: string,
		readonly details: {
			retryAfter?: number;
			attemptsLeft?: number;
			identityChange?: IdentityChangeEvent;
			/** For a text over MAX_TEXT_CHARS (`too_large`): how many characters it has. */
			textLength?: number;
		} = {},
	) {
		super(message);
	}

	get retryAfter(): number | undefined {
		return this.details.retryAfter;
	}

	get attemptsLeft(): number | undefined {
		return this.details.attemptsLeft;
	}

	get textLength(): number | undefined {
		return this.details.textLength;
	}

	get identityChange(): IdentityChangeEvent | undefined {
		return this.details.identityChange;
	}
}

export function toMessengerError(error: unknown): MessengerError {
	if (error instanceof MessengerError) return error;
	if (error instanceof RelayRequestError) {
		return new MessengerError(error.code, error.message, {
			...(error.details.retryAfter !== undefined ? { retryAfter: error.details.retryAfter } : {}),
			...(error.details.attemptsLeft !== undefined ? { attemptsLeft: error.details.attemptsLeft } : {}),
		});
	}
	if (error instanceof ProtocolError) {
		return new MessengerError(error.code, error.message, {
			...(error.identityChange ? { identityChange: error.identityChange } : {}),
		});
	}
	throw error;
}
