// Fictional but *possible* E.164 numbers (NANP 555 range), unique within the whole workers run: the
// files share one relay (vitest.config.ts, `isolate: false`), and this module, with its counter, is
// loaded once for all of them. They start at +1 555 555 1001, above the numbers files spell out
// themselves (+1 555 555 0100 and its spellings in verification.test.ts), and run on into the next
// exchanges (+1 555 556 …) rather than growing a digit.
import { canonicalPhone, type E164 } from "../../../protocol/wire/index.ts";

/** The first number handed out, minus one: +1 555 555 1000. */
const FIRST = 5_551_000;
let counter = 0;

export function newPhone(): string {
	counter += 1;
	return `+1555${String(FIRST + counter)}`;
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
