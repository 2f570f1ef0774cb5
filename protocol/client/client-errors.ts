// Errors a FriendLy client can see when talking to the relay: the relay's closed set of codes
// (protocol/wire/errors.ts) plus the few that only a client can observe.
import type { RelayErrorCode } from "../wire/index.ts";

export const CLIENT_ONLY_ERROR_CODES = ["relay_unreachable", "bad_response", "connection_lost"] as const;
export type ClientErrorCode = RelayErrorCode | (typeof CLIENT_ONLY_ERROR_CODES)[number];

export class RelayRequestError extends Error {
	override readonly name = "RelayRequestError";
	constructor(
		readonly code: ClientErrorCode,
		message: string,
		readonly details: { status?: number; retryAfter?: number; attemptsLeft?: number } = {},
	) {
		super(message);
	}
}
