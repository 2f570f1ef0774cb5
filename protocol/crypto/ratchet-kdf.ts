// Key derivation functions of the Double Ratchet (Signal, "The Double Ratchet Algorithm", rev. 1,
// 2016-11-20, §2.2-2.4 and §5.2), instantiated with HKDF-SHA-256, HMAC-SHA-256 and AES-256-GCM:
//
//   KDF_RK(rk, dh):   RK' || CK = HKDF(ikm = dh, salt = rk, info = "FriendLy-v1 ratchet-root", 64)
//   KDF_CK(ck):       MK = HMAC(ck, 0x01)   CK' = HMAC(ck, 0x02)
//   message keys:     K || N = HKDF(ikm = MK, salt = AD, info = "FriendLy-v1 message-keys", 44)
//                     K = AES-256-GCM key (32), N = nonce (12)
// Suite 2 mixes the message's fresh 16-byte salt (carried in its header) into the expansion:
//                     K || N = HKDF(ikm = MK, salt = AD, info = "FriendLy-v2 message-keys" || salt, 44)
// so two copies of one chain state (a restored backup, a rolled-back file) that reach the same MK still
// encrypt under different (K, N) unless their salts collide (2^-64 after 2^32 forked messages).
//
// Cost per message: one HMAC key import + two HMACs, one HKDF (import + deriveBits), one AES key import.
// Each message key encrypts exactly one message, so (K, N) never repeats.

import { type Bytes, concatBytes } from "../encoding/bytes.ts";
import { AES_256_KEY_BYTES, AES_GCM_NONCE_BYTES, importAesKey } from "./aes-gcm.ts";
import { hkdfSha256 } from "./hkdf.ts";
import { hmacSha256, importHmacSha256Key } from "./hmac.ts";
import { CHAIN_MESSAGE_KEY_INPUT, CHAIN_NEXT_KEY_INPUT, LABELS, LABELS_V2 } from "./suite.ts";

export async function kdfRoot(rootKey: Bytes, dhOutput: Bytes): Promise<{ rootKey: Bytes; chainKey: Bytes }> {
	const okm = await hkdfSha256(dhOutput, rootKey, LABELS.ratchetRoot, 64);
	return { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64) };
}

export async function kdfChain(chainKey: Bytes): Promise<{ messageKey: Bytes; chainKey: Bytes }> {
	const key = await importHmacSha256Key(chainKey);
	const [messageKey, next] = await Promise.all([
		hmacSha256(key, CHAIN_MESSAGE_KEY_INPUT),
		hmacSha256(key, CHAIN_NEXT_KEY_INPUT),
	]);
	return { messageKey, chainKey: next };
}

export interface MessageCipherKeys {
	readonly key: CryptoKey;
	readonly nonce: Bytes;
}

/** Suite 1 without `salt`; suite 2 with the message's 16-byte salt. */
export async function expandMessageKey(
	messageKey: Bytes,
	associatedData: Bytes,
	salt?: Bytes,
): Promise<MessageCipherKeys> {
	const okm = await hkdfSha256(
		messageKey,
		associatedData,
		salt ? concatBytes(LABELS_V2.messageKeys, salt) : LABELS.messageKeys,
		AES_256_KEY_BYTES + AES_GCM_NONCE_BYTES,
	);
	const key = await importAesKey(okm.subarray(0, AES_256_KEY_BYTES));
	return { key, nonce: okm.slice(AES_256_KEY_BYTES) };
}
