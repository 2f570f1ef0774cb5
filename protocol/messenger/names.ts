// Local contact names (ContactRecord.name): what the user calls a contact on this device. They are
// never sent to the relay or the contact. One rule for both clients, so a name set on one is valid on
// the other: trimmed, 1–64 characters (code points), no control characters, line or paragraph
// separators, or bidirectional overrides (which could make a name display as a different number).
import { MessengerError } from "./errors.ts";

export const MAX_NAME_CHARS = 64;

const FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/** The name to store (trimmed), or a MessengerError `invalid_name` saying what is wrong. */
export function validName(input: string): string {
	const name = input.trim();
	const length = [...name].length;
	if (length === 0) throw new MessengerError("invalid_name", "A name cannot be empty.");
	if (length > MAX_NAME_CHARS)
		throw new MessengerError(
			"invalid_name",
			`A name is ${MAX_NAME_CHARS} characters at most; this one has ${length}.`,
		);
	if (FORBIDDEN.test(name))
		throw new MessengerError("invalid_name", "A name cannot contain control characters or line breaks.");
	return name;
}
