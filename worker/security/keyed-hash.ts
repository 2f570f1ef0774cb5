// Keyed hashes (HMAC-SHA-256, RFC 2104) of verification codes and session tokens, so a copy of the
// storage alone reveals neither. The MAC is protocol/crypto's; a stored hash is checked by the engine's
// verify, which compares in constant time.
import { hmacSha256, hmacSha256Verify, importHmacSha256Key } from "../../protocol/crypto/hmac.ts";
import { decodeBase64Url, encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { type Bytes, utf8 } from "../../protocol/encoding/bytes.ts";

/** One import per secret and isolate: every token check and code check uses the same key. */
const keys = new Map<string, Promise<CryptoKey>>();

export function hmacKey(secret: string): Promise<CryptoKey> {
	let key = keys.get(secret);
	if (!key) {
		key = importHmacSha256Key(utf8(secret));
		keys.set(secret, key);
	}
	return key;
}

/** A purpose label and the parts, length-prefixed so no two inputs collide. */
function hashInput(purpose: string, parts: readonly string[]): Bytes {
	return utf8([purpose, ...parts].map((part) => `${utf8(part).length}:${part}`).join("|"));
}

export async function keyedHash(secret: string, purpose: string, ...parts: string[]): Promise<string> {
	return encodeBase64Url(await hmacSha256(await hmacKey(secret), hashInput(purpose, parts)));
}

/** True when `stored` is the keyed hash of the purpose and parts. */
export async function keyedHashMatches(
	secret: string,
	stored: string,
	purpose: string,
	...parts: string[]
): Promise<boolean> {
	const tag = decodeBase64Url(stored);
	return tag !== null && hmacSha256Verify(await hmacKey(secret), hashInput(purpose, parts), tag);
}
