// Fictional but *possible* E.164 numbers (NANP 555 range), unique within a test file.
import { canonicalPhone, type E164 } from "../../../protocol/wire/index.ts";

let counter = 0;

export function newPhone(): string {
	counter += 1;
	return `+1555555${String(counter).padStart(4, "0")}`;
}

/** A new phone as the relay's own modules take it. */
export function newE164(): E164 {
	const phone = canonicalPhone(newPhone());
	if (phone === null) throw new Error("test phone numbers must be possible numbers");
	return phone;
}

export function pathPhone(phone: string): string {
	return encodeURIComponent(phone);
}
