// Session tokens: "<phone digits>.<256 random bits, base64url>". The phone part only routes the
// request to the phone's Durable Object; the secret part is what authenticates, and the object stores
// only its keyed hash.
import { randomBytes } from "../../protocol/crypto/webcrypto.ts";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { canonicalPhone, type E164 } from "../../protocol/wire/index.ts";

const TOKEN_PATTERN = /^([1-9][0-9]{6,14})\.([A-Za-z0-9_-]{43})$/;

export function newSessionToken(phone: E164): string {
	return `${phone.slice(1)}.${encodeBase64Url(randomBytes(32))}`;
}

/** The phone a well-formed token claims, or null. The claim is checked by the phone's object. */
export function phoneOfToken(token: string): E164 | null {
	const match = TOKEN_PATTERN.exec(token);
	return match ? canonicalPhone(`+${match[1]}`) : null;
}

export function bearerToken(header: string | undefined | null): string | null {
	if (!header) return null;
	// The scheme name is case-insensitive (RFC 9110 §11.1).
	const match = /^Bearer ([^\s]+)$/i.exec(header);
	return match?.[1] ?? null;
}
