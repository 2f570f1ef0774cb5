// Every code a FriendLy user can meet, as one closed set: the relay's (protocol/wire/errors.ts), the
// relay client's own (protocol/client/client-errors.ts), the E2E library's (protocol/session/errors.ts)
// and the messenger's. MessengerError.code, the Messenger's events and stored history errors carry one
// of these; each UI maps every one of them to its own words (client-cli/errors.ts,
// client-web/src/state/error-text.ts), so a code added here fails type checking until both do.
import { CLIENT_ONLY_ERROR_CODES } from "../client/client-errors.ts";
import { PROTOCOL_ERROR_CODES } from "../session/errors.ts";
import { RELAY_ERROR_CODES } from "../wire/errors.ts";

export const MESSENGER_ONLY_CODES = [
	/** The recipient's app said (signed, end to end) it could not show one of our messages. */
	"not_delivered",
	/** A message decrypted but its content is in a format this version does not understand. */
	"unsupported_content",
	/**
	 * A message from a contact could not be shown on this device; their app was told with a signed
	 * delivery notice and sends it again.
	 */
	"resend_requested",
	/** A contact name that is empty, longer than 64 characters or holds control characters. */
	"invalid_name",
	/** An attachment whose blob does not match the digest, commitment or size the sender signed. */
	"attachment_damaged",
	/** A file larger than the relay's attachment limit, refused before anything was uploaded. */
	"attachment_too_large",
	/** A backup's recovery key is not the one it was made with (or is not a recovery key at all). */
	"backup_wrong_key",
	/** A backup file that is not one, or was cut off or changed. */
	"backup_damaged",
	/** A backup made by a newer FriendLy, in a format this version cannot read. */
	"backup_unsupported_version",
	/** A code this version does not know (e.g. stored by a newer version): show the stored message. */
	"unknown_error",
] as const;

export type UserFacingCode =
	| (typeof RELAY_ERROR_CODES)[number]
	| (typeof CLIENT_ONLY_ERROR_CODES)[number]
	| (typeof PROTOCOL_ERROR_CODES)[number]
	| (typeof MESSENGER_ONLY_CODES)[number];

/** Every UserFacingCode once. */
export const USER_FACING_CODES: readonly UserFacingCode[] = [
	...new Set<UserFacingCode>([
		...RELAY_ERROR_CODES,
		...CLIENT_ONLY_ERROR_CODES,
		...PROTOCOL_ERROR_CODES,
		...MESSENGER_ONLY_CODES,
	]),
];

const KNOWN: ReadonlySet<string> = new Set(USER_FACING_CODES);

export function isUserFacingCode(value: unknown): value is UserFacingCode {
	return typeof value === "string" && KNOWN.has(value);
}

/** A code read back from storage: one this version does not know becomes `unknown_error`. */
export function toUserFacingCode(value: string): UserFacingCode {
	return isUserFacingCode(value) ? value : "unknown_error";
}
