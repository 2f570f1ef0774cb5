// HMAC-SHA-256 (RFC 2104, FIPS 198-1). Keys are imported once into a CryptoKey; callers that MAC twice
// with the same key (the ratchet's chain step) pass the CryptoKey, not the bytes, to avoid re-importing.
// Tags are the full 32 bytes; verification is the engine's (constant-time) compare.

import type { Bytes } from "../encoding/bytes.ts";
import { ProtocolError } from "../errors.ts";
import { hmacSign, hmacVerify, importHmacKey } from "./webcrypto.ts";

export const HMAC_SHA256_BYTES = 32;

export function importHmacSha256Key(key: Bytes): Promise<CryptoKey> {
	if (key.length === 0) throw new ProtocolError("invalid_argument", "an HMAC key must not be empty");
	return importHmacKey(key);
}

export function hmacSha256(key: CryptoKey, data: Bytes): Promise<Bytes> {
	return hmacSign(key, data);
}

/** Verifies a full 32-byte tag; any other length is refused. */
export async function hmacSha256Verify(key: CryptoKey, data: Bytes, tag: Bytes): Promise<boolean> {
	if (tag.length !== HMAC_SHA256_BYTES) return false;
	return hmacVerify(key, tag, data);
}
