// Phone numbers: E.164 (ITU-T E.164), parsed and normalised with libphonenumber-js. Any *possible*
// number is accepted (length plausible for its country code), so fictional test ranges such as
// +1 555 555 0100 work; validity against real numbering plans is the SMS provider's business.
import { parsePhoneNumberFromString } from "libphonenumber-js/min";

/** E.164 as the relay stores and routes it: "+" then 7 to 15 digits, no leading zero. */
export const E164_PATTERN = /^\+[1-9][0-9]{6,14}$/;

declare const e164Brand: unique symbol;
/**
 * A phone number that went through `normalisePhone`: canonical E.164 and a possible number. Only this
 * file makes one, so code holding an `E164` need not check it again.
 */
export type E164 = string & { readonly [e164Brand]: true };

export type PhoneParseResult = { ok: true; phone: E164 } | { ok: false; reason: string };

/**
 * Parsing is the costliest check in a relayed frame (libphonenumber-js), and the same few numbers
 * recur: results are memoised. A pure function's cache, bounded by clearing it when full.
 */
const MEMO_LIMIT = 1024;
const memo = new Map<string, PhoneParseResult>();

export function normalisePhone(input: string): PhoneParseResult {
	const known = memo.get(input);
	if (known) return known;
	const result = parsePhone(input);
	if (memo.size >= MEMO_LIMIT) memo.clear();
	memo.set(input, result);
	return result;
}

/**
 * The number when `text` is already canonical E.164 (stored values, names, the digits of a token),
 * else null: a spelling that only normalises to a number is not that number's canonical form.
 */
export function canonicalPhone(text: string | undefined): E164 | null {
	if (text === undefined) return null;
	const parsed = normalisePhone(text);
	return parsed.ok && parsed.phone === text ? parsed.phone : null;
}

/** For numbers the code spells itself (constants, test fixtures), never for input: throws on a non-number. */
export function requireE164(text: string): E164 {
	const parsed = normalisePhone(text);
	if (!parsed.ok) throw new Error(`not a phone number: ${parsed.reason}`);
	return parsed.phone;
}

function parsePhone(input: string): PhoneParseResult {
	const trimmed = input.trim();
	if (!trimmed.startsWith("+")) {
		return {
			ok: false,
			reason: "a phone number must start with + and its country code, e.g. +1 555 555 0100",
		};
	}
	const parsed = parsePhoneNumberFromString(trimmed);
	const number = parsed?.isPossible() ? parsed.number : "";
	if (!isE164(number)) {
		return {
			ok: false,
			reason: `"${trimmed.slice(0, 32)}" is not a possible phone number; check the digits and the country code`,
		};
	}
	return { ok: true, phone: number };
}

/** Private on purpose: the pattern alone does not make a possible number (see normalisePhone). */
function isE164(text: string): text is E164 {
	return E164_PATTERN.test(text);
}

/** Log-safe form of a phone number: country code and last two digits only. */
export function redactPhone(phone: string): string {
	if (phone.length < 6) return "+***";
	return `${phone.slice(0, 3)}…${phone.slice(-2)}`;
}
