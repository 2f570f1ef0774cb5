// Signatures that bind published keys to a phone's ECDSA P-256 identity signing key
// (docs/PROTOCOL.md §Key directory). The relay checks them before storing keys; clients check them
// again on every bundle they fetch, because the relay is not trusted.
//
// Signed bytes (ECDSA P-256 with SHA-256, signature in IEEE P1363 r||s form):
//   identity DH key: "FriendLy-v1 identity-dh-key" || 0x00 || dhKey (65-byte SEC1 uncompressed point)
//   signed prekey:   "FriendLy-v1 signed-prekey"   || 0x00 || keyId (uint32, big-endian) || publicKey (65 bytes)

import { type Bytes, concatBytes, uint32BigEndian, utf8 } from "../encoding/bytes.ts";

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
		verifier = await crypto.subtle.importKey(
			"raw",
			signingKey,
			{ name: "ECDSA", namedCurve: "P-256" },
			false,
			["verify"],
		);
		// Importing rejects points that are not on the curve (invalid-curve attacks).
		await crypto.subtle.importKey("raw", signedKey, { name: "ECDH", namedCurve: "P-256" }, false, []);
	} catch {
		return "invalid_key";
	}
	const valid = await crypto.subtle.verify(
		{ name: "ECDSA", hash: "SHA-256" },
		verifier,
		signature,
		signedBytes,
	);
	return valid ? "ok" : "invalid_signature";
}
