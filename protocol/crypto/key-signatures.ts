// Signatures that bind published keys to a phone's ECDSA P-256 identity signing key
// (docs/PROTOCOL.md §Key directory, docs/E2E-PROTOCOL.md §Keys). The relay checks them before storing
// keys; clients check them again on every bundle they fetch, because the relay is not trusted.
//
// Signed bytes (ECDSA P-256 with SHA-256, signature in IEEE P1363 r||s form):
//   identity DH key: "FriendLy-v1 identity-dh-key" || 0x00 || dhKey (65-byte SEC1 uncompressed point)
//   signed prekey:   "FriendLy-v1 signed-prekey"   || 0x00 || keyId (uint32, big-endian) || publicKey (65 bytes)

import { type Bytes, concatBytes, uint32BigEndian, utf8 } from "../encoding/bytes.ts";
import { ProtocolError } from "../errors.ts";
import { importEcdhPublicKey } from "./ecdh.ts";
import { importEcdsaPublicKey, sign, verify } from "./ecdsa.ts";

const IDENTITY_DH_KEY_LABEL = utf8("FriendLy-v1 identity-dh-key");
const SIGNED_PREKEY_LABEL = utf8("FriendLy-v1 signed-prekey");

export function identityDhKeySignedBytes(dhKey: Uint8Array): Bytes {
	return concatBytes(IDENTITY_DH_KEY_LABEL, Uint8Array.of(0), dhKey);
}

export function signedPrekeySignedBytes(keyId: number, publicKey: Uint8Array): Bytes {
	return concatBytes(SIGNED_PREKEY_LABEL, Uint8Array.of(0), uint32BigEndian(keyId), publicKey);
}

export type KeyCheck = "ok" | "invalid_key" | "invalid_signature";

/** Checks that both public keys are valid P-256 points and that the signature verifies. */
export async function checkKeySignature(
	signingKey: Bytes,
	signedKey: Bytes,
	signedBytes: Bytes,
	signature: Bytes,
): Promise<KeyCheck> {
	let verifier: CryptoKey;
	try {
		verifier = await importEcdsaPublicKey(signingKey);
		// Importing rejects points that are not on the curve (invalid-curve attacks).
		await importEcdhPublicKey(signedKey);
	} catch (error) {
		if (error instanceof ProtocolError) return "invalid_key";
		throw error;
	}
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
