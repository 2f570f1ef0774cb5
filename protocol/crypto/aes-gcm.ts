// AES-GCM (NIST SP 800-38D) with 96-bit nonces and 128-bit tags, sealed output = ciphertext || tag.
// FriendLy's suite uses 256-bit keys only; 128-bit keys are accepted by this primitive so the
// Wycheproof AES-128 vectors exercise it too. 192-bit keys (absent from Chromium) and nonces of any
// length other than 12 bytes are refused (SP 800-38D §8.2: 96-bit IVs avoid the GHASH-derived counter).
// Every FriendLy message key is used for exactly one message, so a nonce is never repeated under a key.

import type { Bytes } from "../encoding/bytes.ts";
import { ProtocolError } from "../errors.ts";
import { cryptoBackend } from "./backend.ts";

export const AES_GCM_NONCE_BYTES = 12;
export const AES_GCM_TAG_BYTES = 16;
export const AES_256_KEY_BYTES = 32;

export function importAesKey(raw: Bytes): Promise<CryptoKey> {
	if (raw.length !== AES_256_KEY_BYTES && raw.length !== 16) {
		throw new ProtocolError("invalid_argument", "AES-GCM keys are 32 (or, for conformance tests, 16) bytes");
	}
	return cryptoBackend().importAesGcmKey(raw);
}

function checkNonce(nonce: Bytes): void {
	if (nonce.length !== AES_GCM_NONCE_BYTES) {
		throw new ProtocolError("invalid_argument", "AES-GCM nonces are exactly 96 bits");
	}
}

export function aesGcmEncrypt(key: CryptoKey, nonce: Bytes, plaintext: Bytes, associatedData: Bytes) {
	checkNonce(nonce);
	return cryptoBackend().aesGcmSeal(key, nonce, associatedData, plaintext);
}

/** Returns the plaintext, or null when authentication fails (no partial output, no exception). */
export async function aesGcmDecrypt(
	key: CryptoKey,
	nonce: Bytes,
	sealed: Bytes,
	associatedData: Bytes,
): Promise<Bytes | null> {
	checkNonce(nonce);
	if (sealed.length < AES_GCM_TAG_BYTES) return null;
	try {
		return await cryptoBackend().aesGcmOpen(key, nonce, associatedData, sealed);
	} catch {
		return null;
	}
}
