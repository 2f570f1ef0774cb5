// ECDSA over P-256 with SHA-256: FIPS 186-4 §6, signatures in IEEE P1363 form r || s (64 bytes), which is
// WebCrypto's native form (and the node backend's "ieee-p1363" encoding). Verification refuses any other length before calling the engine (Wycheproof
// "SignatureSize" vectors); range checks on r and s are the engine's (Wycheproof ecdsa_secp256r1_sha256_p1363
// vectors in test/protocol/wycheproof.suite.ts). Signatures are malleable: never use them as identifiers.

import type { Bytes } from "../encoding/bytes.ts";
import { cryptoBackend } from "./backend.ts";
import { generateP256KeyPair, importP256PublicKey, P256_SIGNATURE_BYTES, type P256KeyPair } from "./p256.ts";

export function generateEcdsaKeyPair(extractable: boolean): Promise<P256KeyPair> {
	return generateP256KeyPair("ECDSA", extractable);
}

/** Imports a signer's public point; throws ProtocolError("invalid_key") when it is not on P-256. */
export function importEcdsaPublicKey(point: Bytes): Promise<CryptoKey> {
	return importP256PublicKey("ECDSA", point);
}

export function sign(privateKey: CryptoKey, message: Bytes): Promise<Bytes> {
	return cryptoBackend().ecdsaSign(privateKey, message);
}

export async function verify(publicKey: CryptoKey, signature: Bytes, message: Bytes): Promise<boolean> {
	if (signature.length !== P256_SIGNATURE_BYTES) return false;
	return cryptoBackend().ecdsaVerify(publicKey, signature, message);
}
