// P-256 (secp256r1, FIPS 186-4 §D.1.2.3) key encoding shared by ecdh.ts and ecdsa.ts.
// Public keys travel as SEC 1 v2 §2.3.3 uncompressed points: 0x04 || X (32) || Y (32) = 65 bytes.
// Private scalars (32 bytes, big-endian) are only ever serialised for extractable keys (the WebCrypto
// backend imports them through JWK, which does not allow raw private import; see webcrypto.ts).

import type { Bytes } from "../encoding/bytes.ts";
import { ProtocolError } from "../errors.ts";
import { cryptoBackend, type EcKind } from "./backend.ts";

export const P256_POINT_BYTES = 65;
export const P256_SCALAR_BYTES = 32;
export const P256_SIGNATURE_BYTES = 64;

/** A P-256 key pair: the private CryptoKey (extractable or not) and the public SEC1 point. */
export interface P256KeyPair {
	readonly privateKey: CryptoKey;
	readonly publicKey: Bytes;
}

export function isUncompressedPoint(bytes: Uint8Array): boolean {
	return bytes.length === P256_POINT_BYTES && bytes[0] === 0x04;
}

/** Imports a public point, refusing anything but a valid, uncompressed, on-curve point. */
export async function importP256PublicKey(kind: EcKind, point: Bytes): Promise<CryptoKey> {
	if (!isUncompressedPoint(point)) {
		throw new ProtocolError("invalid_key", "a P-256 public key must be a 65-byte uncompressed point");
	}
	try {
		return await cryptoBackend().importEcPublicKey(kind, point);
	} catch {
		throw new ProtocolError("invalid_key", "not a point on P-256");
	}
}

export function generateP256KeyPair(kind: EcKind, extractable: boolean): Promise<P256KeyPair> {
	return cryptoBackend().generateEcKeyPair(kind, extractable);
}

/** Rebuilds a key pair from a 32-byte scalar and its public point (used by state deserialisation and KATs). */
export async function importP256KeyPair(
	kind: EcKind,
	scalar: Bytes,
	point: Bytes,
	extractable: boolean,
): Promise<P256KeyPair> {
	if (scalar.length !== P256_SCALAR_BYTES || !isUncompressedPoint(point)) {
		throw new ProtocolError("invalid_key", "a P-256 private key is a 32-byte scalar with a 65-byte point");
	}
	try {
		const privateKey = await cryptoBackend().importEcPrivateKey(kind, scalar, point, extractable);
		return { privateKey, publicKey: point };
	} catch {
		throw new ProtocolError("invalid_key", "the P-256 private key does not import");
	}
}

/** The 32-byte private scalar of an extractable key; refuses non-extractable keys. */
export async function exportP256Scalar(privateKey: CryptoKey): Promise<Bytes> {
	if (!privateKey.extractable) {
		throw new ProtocolError("not_extractable", "this private key was generated non-extractable");
	}
	let scalar: Bytes;
	try {
		scalar = await cryptoBackend().exportEcPrivateScalar(privateKey);
	} catch {
		throw new ProtocolError("invalid_key", "the private key does not export");
	}
	if (scalar.length !== P256_SCALAR_BYTES) throw new ProtocolError("invalid_key", "unexpected key export");
	return scalar;
}
