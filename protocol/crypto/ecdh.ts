// ECDH on P-256: SEC 1 v2 §3.3.1 (Elliptic Curve Diffie-Hellman primitive), RFC 6090 §4, with the
// shared secret Z being the x-coordinate of d·Q as in NIST SP 800-56A rev.3 §5.7.1.2. Public points are
// validated (on the curve, not infinity) at import, which defeats invalid-curve attacks; the Wycheproof
// ecdh_secp256r1_webcrypto vectors check exactly that (test/protocol/wycheproof.suite.ts).

import type { Bytes } from "../encoding/bytes.ts";
import { cryptoBackend } from "./backend.ts";
import { generateP256KeyPair, importP256PublicKey, type P256KeyPair } from "./p256.ts";

export const ECDH_SHARED_SECRET_BYTES = 32;

export function generateEcdhKeyPair(extractable: boolean): Promise<P256KeyPair> {
	return generateP256KeyPair("ECDH", extractable);
}

/** Imports a peer's ECDH public point; throws ProtocolError("invalid_key") when it is not on P-256. */
export function importEcdhPublicKey(point: Bytes): Promise<CryptoKey> {
	return importP256PublicKey("ECDH", point);
}

/** Z = x(d·Q), 32 bytes. */
export function ecdh(privateKey: CryptoKey, peerPublicKey: CryptoKey): Promise<Bytes> {
	return cryptoBackend().ecdhDeriveX(privateKey, peerPublicKey);
}
