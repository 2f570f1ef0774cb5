// HMAC-SHA-256 (RFC 2104, FIPS 198-1). Keys are imported once into a backend key; callers that MAC twice
// with the same key (the ratchet's chain step) pass the CryptoKey, not the bytes, to avoid re-importing.
// Tags are the full 32 bytes; verification is the engine's (constant-time) compare.

import type { Bytes } from "../encoding/bytes.ts";
import { ProtocolError } from "../errors.ts";
import { cryptoBackend } from "./backend.ts";

export const HMAC_SHA256_BYTES = 32;

export function importHmacSha256Key(key: Bytes): Promise<CryptoKey> {
	if (key.length === 0) throw new ProtocolError("invalid_argument", "an HMAC key must not be empty");
	return cryptoBackend().importHmacKey(key, "SHA-256");
}

export function hmacSha256(key: CryptoKey, data: Bytes): Promise<Bytes> {
	return cryptoBackend().hmacSign(key, data);
}

/** Verifies a full 32-byte tag; any other length is refused. */
export async function hmacSha256Verify(key: CryptoKey, data: Bytes, tag: Bytes): Promise<boolean> {
	if (tag.length !== HMAC_SHA256_BYTES) return false;
	return cryptoBackend().hmacVerify(key, tag, data);
}
