// Session tokens: "<phone digits>.<256 random bits, base64url>". The phone part only routes the
// request to the phone's Durable Object; the secret part is what authenticates, and the object stores
// only its keyed hash.
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { E164_PATTERN } from "../../protocol/wire/index.ts";

const TOKEN_PATTERN = /^([1-9][0-9]{6,14})\.([A-Za-z0-9_-]{43})$/;

export function newSessionToken(phone: string): string {
	const secret = crypto.getRandomValues(new Uint8Array(32));
	return `${phone.slice(1)}.${encodeBase64Url(secret)}`;
}

/** The phone a well-formed token claims, or null. The claim is checked by the phone's object. */
export function phoneOfToken(token: string): string | null {
	const match = TOKEN_PATTERN.exec(token);
	if (!match) return null;
	const phone = `+${match[1]}`;
	return E164_PATTERN.test(phone) ? phone : null;
}

export function bearerToken(header: string | undefined | null): string | null {
	if (!header) return null;
	// The scheme name is case-insensitive (RFC 9110 §11.1).
	const match = /^Bearer ([^\s]+)$/i.exec(header);
	return match?.[1] ?? null;
}
