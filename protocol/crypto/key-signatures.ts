// Signatures that bind published keys to a phone's ECDSA P-256 identity signing key
// (docs/PROTOCOL.md §Key directory, docs/E2E-PROTOCOL.md §Keys). The relay checks them before storing
// keys; clients check them again on every bundle they fetch, because the relay is not trusted.
//
// Signed bytes (ECDSA P-256 with SHA-256, signature in IEEE P1363 r||s form):
//   identity DH key: "FriendLy-v1 identity-dh-key" || 0x00 || dhKey (65-byte SEC1 uncompressed point)
//   signed prekey:   "FriendLy-v1 signed-prekey"   || 0x00 || keyId (uint32, big-endian) || publicKey (65 bytes)
// Suite 2 (docs/E2E-PROTOCOL.md §Suite 2):
//   signed prekey with its last-resort ML-KEM-768 prekey (one signature binds both, so a relay cannot
//   strip or swap the KEM key without the signature failing):
//                    "FriendLy-v2 signed-prekey"   || 0x00 || keyId || publicKey (65) || kemPublicKey (1,184)
//   one-time KEM prekey:
//                    "FriendLy-v2 kem-prekey"      || 0x00 || keyId || kemPublicKey (1,184)

import { type Bytes, concatBytes, uint32BigEndian, utf8 } from "../encoding/bytes.ts";
import { ProtocolError } from "../errors.ts";
import { importEcdhPublicKey } from "./ecdh.ts";
import { importEcdsaPublicKey, sign, verify } from "./ecdsa.ts";
import { checkMlKemPublicKey } from "./ml-kem.ts";

const IDENTITY_DH_KEY_LABEL = utf8("FriendLy-v1 identity-dh-key");
const SIGNED_PREKEY_LABEL = utf8("FriendLy-v1 signed-prekey");
const SIGNED_PREKEY_V2_LABEL = utf8("FriendLy-v2 signed-prekey");
const KEM_PREKEY_LABEL = utf8("FriendLy-v2 kem-prekey");

export function identityDhKeySignedBytes(dhKey: Uint8Array): Bytes {
	return concatBytes(IDENTITY_DH_KEY_LABEL, Uint8Array.of(0), dhKey);
}

export function signedPrekeySignedBytes(keyId: number, publicKey: Uint8Array): Bytes {
	return concatBytes(SIGNED_PREKEY_LABEL, Uint8Array.of(0), uint32BigEndian(keyId), publicKey);
}

/** Suite 2: the signed prekey and its last-resort KEM prekey (same key id) under one signature. */
export function signedPrekeyV2SignedBytes(
	keyId: number,
	publicKey: Uint8Array,
	kemPublicKey: Uint8Array,
): Bytes {
	return concatBytes(
		SIGNED_PREKEY_V2_LABEL,
		Uint8Array.of(0),
		uint32BigEndian(keyId),
		publicKey,
		kemPublicKey,
	);
}

/** Suite 2: a one-time ML-KEM-768 prekey. */
export function kemPrekeySignedBytes(keyId: number, kemPublicKey: Uint8Array): Bytes {
	return concatBytes(KEM_PREKEY_LABEL, Uint8Array.of(0), uint32BigEndian(keyId), kemPublicKey);
}

export type KeyCheck = "ok" | "invalid_key" | "invalid_signature";

/**
 * Checks that the signed keys are valid (a P-256 point `signedKey`, when given; ML-KEM-768 encapsulation
 * keys `kemKeys`, FIPS 203 modulus check) and that the signature by `signingKey` verifies.
 */
export async function checkKeySignature(
	signingKey: Bytes,
	signedKey: Bytes | undefined,
	signedBytes: Bytes,
	signature: Bytes,
	kemKeys: readonly Bytes[] = [],
): Promise<KeyCheck> {
	let verifier: CryptoKey;
	try {
		verifier = await importEcdsaPublicKey(signingKey);
		// Importing rejects points that are not on the curve (invalid-curve attacks).
		if (signedKey) await importEcdhPublicKey(signedKey);
	} catch (error) {
		if (error instanceof ProtocolError) return "invalid_key";
		throw error;
	}
	for (const kemKey of kemKeys) if (!checkMlKemPublicKey(kemKey)) return "invalid_key";
	return (await verify(verifier, signature, signedBytes)) ? "ok" : "invalid_signature";
}

/** Same check with an already-imported verifier and DH key (clients cache both); true when valid. */
export function verifyKeySignature(
	verifier: CryptoKey,
	signedBytes: Bytes,
	signature: Bytes,
): Promise<boolean> {
	return verify(verifier, signature, signedBytes);
}

export function signKey(signingPrivateKey: CryptoKey, signedBytes: Bytes): Promise<Bytes> {
	return sign(signingPrivateKey, signedBytes);
}
