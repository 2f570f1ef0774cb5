// Keyed hashes (HMAC-SHA-256, RFC 2104) of verification codes and session tokens, so a copy of the
// storage alone reveals neither. Compared in constant time.

import { decodeBase64Url, encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { type Bytes, constantTimeEqual, utf8 } from "../../protocol/encoding/bytes.ts";

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
	let key = keys.get(secret);
	if (!key) {
		key = crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
		keys.set(secret, key);
	}
	return key;
}

/** HMAC over a purpose label and the parts, length-prefixed so no two inputs collide. */
export async function keyedHash(secret: string, purpose: string, ...parts: string[]): Promise<string> {
	const encoded = [purpose, ...parts].map((part) => {
		const bytes = utf8(part);
		return `${bytes.length}:${part}`;
	});
	const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), utf8(encoded.join("|")));
	return encodeBase64Url(new Uint8Array(mac));
}

export function hashesEqual(a: string, b: string): boolean {
	const left: Bytes | null = decodeBase64Url(a);
	const right: Bytes | null = decodeBase64Url(b);
	return left !== null && right !== null && constantTimeEqual(left, right);
}
