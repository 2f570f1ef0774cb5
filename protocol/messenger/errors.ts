// Errors the messenger reports to the apps: one class, one `code` to branch on. Codes come from the
// relay (protocol/wire/errors.ts), the relay client (protocol/client/client-errors.ts), the E2E library
// (protocol/session/errors.ts), plus `not_registered` for a profile without an account.
import { RelayRequestError } from "../client/index.ts";
import { type IdentityChangeEvent, ProtocolError } from "../session/index.ts";

export class MessengerError extends Error {
	override readonly name = "MessengerError";
	constructor(
		readonly code: string,
		message: string,
		readonly details: {
			retryAfter?: number;
			attemptsLeft?: number;
			identityChange?: IdentityChangeEvent;
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

	get identityChange(): IdentityChangeEvent | undefined {
		return this.details.identityChange;
	}
}

/** Messages for protocol failures, in words a person can act on. */
const PROTOCOL_MESSAGES: Partial<Record<string, string>> = {
	untrusted_identity:
		"This contact's safety number changed. Compare it with them, then accept the new key to continue.",
	bad_signature: "A message failed its signature check and was discarded (possibly forged or corrupted).",
	decrypt_failed: "A message could not be decrypted and was discarded (corrupted or not meant for you).",
	duplicate: "A message arrived twice; the copy was ignored.",
	no_session:
		"A message arrived for a conversation this device does not have; ask the sender to send it again.",
	unknown_prekey: "A message used a key this device no longer has; ask the sender to send it again.",
	wrong_recipient: "A message addressed to someone else was discarded.",
	unsupported_version: "A message uses a newer FriendLy version; update FriendLy.",
};

export function toMessengerError(error: unknown): MessengerError {
	if (error instanceof MessengerError) return error;
	if (error instanceof RelayRequestError) {
		return new MessengerError(error.code, error.message, {
			...(error.details.retryAfter !== undefined ? { retryAfter: error.details.retryAfter } : {}),
			...(error.details.attemptsLeft !== undefined ? { attemptsLeft: error.details.attemptsLeft } : {}),
		});
	}
	if (error instanceof ProtocolError) {
		return new MessengerError(error.code, PROTOCOL_MESSAGES[error.code] ?? error.message, {
			...(error.identityChange ? { identityChange: error.identityChange } : {}),
		});
	}
	throw error;
}
