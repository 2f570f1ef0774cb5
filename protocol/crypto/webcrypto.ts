// The WebCrypto backend (W3C Web Cryptography API, Level 2) of backend.ts's CryptoBackend, the default
// one, and the single door to WebCrypto: no other file in protocol/ touches `crypto.subtle` or
// `crypto.getRandomValues` (random bytes and ids come from randomBytes / randomId here, e.g. the
// messenger's message ids, whichever backend is selected). The primitive files (ecdh.ts, ecdsa.ts,
// hkdf.ts, hmac.ts, aes-gcm.ts, sha.ts) add the checks their specifications require on top of the
// backend's calls. Node selects the faster node:crypto backend instead (node-crypto/backend.ts).
//
// `globalThis.crypto` is the same object in Node 22, browsers (secure contexts only: https or 127.0.0.1)
// and workerd, so this file is what makes the library portable.
//
// WebCrypto quirks this library relies on or works around:
// - P-256 ECDH `deriveBits` returns only the x-coordinate of the shared point (32 bytes, the "Z" of
//   SP 800-56A / RFC 6090 §4), never the SEC1 point; ask for exactly 256 bits.
// - Raw import of EC *private* keys is not allowed: private scalars go through JWK {d, x, y}
//   (or PKCS#8). Raw import is for public SEC1 points only; importing validates that the point is on
//   the curve and not the point at infinity (the invalid-curve defence) and throws DataError otherwise.
//   Some engines also accept compressed points, so the primitive files insist on 65-byte 0x04 points.
// - ECDSA signatures are IEEE P1363 r||s (64 bytes for P-256), not DER; the hash is named at sign /
//   verify time, not at import. Signatures are malleable (s and n-s both verify): never use them as ids.
// - The public half of a generated key pair is always extractable, whatever `extractable` says; the
//   private half honours the flag. Non-extractable keys can still be structured-cloned (IndexedDB).
// - HKDF and PBKDF2 keys can only be imported non-extractable, and only with "raw". `deriveBits`
//   lengths are in bits; HKDF refuses more than 255 * 32 bytes.
// - HMAC keys are imported with the hash fixed at import time; an empty HMAC key is rejected.
// - AES-GCM appends the 16-byte tag to the ciphertext; engines accept IVs of any length (we do not);
//   Chromium has no 192-bit AES.
// - Every call is asynchronous and costs a thread hop in browsers, so the library keeps imported
//   CryptoKeys instead of re-importing, and batches HKDF output into one deriveBits call per use.
// - Key usages are fixed at creation: ECDH private keys need ["deriveBits"], public keys [].

import { decodeBase64Url, encodeBase64Url } from "../encoding/base64url.ts";
import type { Bytes } from "../encoding/bytes.ts";
import type { CryptoBackend, EcKind, HashName } from "./backend.ts";

export type { EcKind } from "./backend.ts";

// The bare global (not globalThis.crypto): it is declared in every runtime typing (DOM, WebWorker, workerd).
const subtle = crypto.subtle;

const ECDH_P256 = { name: "ECDH", namedCurve: "P-256" } as const;
const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" } as const;
const HMAC_SHA256 = { name: "HMAC", hash: "SHA-256" } as const;
const HMAC_SHA512 = { name: "HMAC", hash: "SHA-512" } as const;

export const randomBytes = (length: number): Bytes => crypto.getRandomValues(new Uint8Array(length));

/** A fresh random id: 16 random bytes (128 bits) in base64url, e.g. a message id. */
export const randomId = (): string => encodeBase64Url(randomBytes(16));

export async function digest(algorithm: HashName, data: Bytes): Promise<Bytes> {
	return new Uint8Array(await subtle.digest(algorithm, data));
}

// ---- EC key pairs ----

function ecParams(kind: EcKind) {
	return kind === "ECDH" ? ECDH_P256 : ECDSA_P256;
}

type PrivateKeyUsage = "deriveBits" | "sign";

function privateUsages(kind: EcKind): PrivateKeyUsage[] {
	return kind === "ECDH" ? ["deriveBits"] : ["sign"];
}

export async function generateEcKeyPair(kind: EcKind, extractable: boolean): Promise<CryptoKeyPair> {
	const pair = await subtle.generateKey(ecParams(kind), extractable, privateUsages(kind));
	// workerd's typings widen the result to CryptoKey | CryptoKeyPair; EC generation always gives a pair.
	if (!("privateKey" in pair)) throw new TypeError("EC key generation did not return a key pair");
	return pair;
}

/** Imports a SEC1 point (validated on import by the engine). Throws on an invalid point. */
export function importEcPublicKey(kind: EcKind, point: Bytes): Promise<CryptoKey> {
	return subtle.importKey("raw", point, ecParams(kind), true, kind === "ECDH" ? [] : ["verify"]);
}

/** Imports a private scalar `d` with its public point through JWK (raw private import is not allowed). */
export function importEcPrivateKey(
	kind: EcKind,
	jwk: { d: string; x: string; y: string },
	extractable: boolean,
): Promise<CryptoKey> {
	return subtle.importKey(
		"jwk",
		{ kty: "EC", crv: "P-256", d: jwk.d, x: jwk.x, y: jwk.y, ext: extractable },
		ecParams(kind),
		extractable,
		privateUsages(kind),
	);
}

export async function exportRawPublicKey(key: CryptoKey): Promise<Bytes> {
	const raw = await subtle.exportKey("raw", key);
	// workerd's typings widen exportKey's result to ArrayBuffer | JsonWebKey.
	if (!(raw instanceof ArrayBuffer)) throw new TypeError("raw export did not return bytes");
	return new Uint8Array(raw);
}

/** The JWK `d` member (base64url scalar) of an extractable private key. */
export async function exportPrivateJwkD(key: CryptoKey): Promise<string | undefined> {
	const jwk = await subtle.exportKey("jwk", key);
	if (jwk instanceof ArrayBuffer) throw new TypeError("JWK export returned bytes");
	return jwk.d;
}

export async function ecdhDeriveX(privateKey: CryptoKey, publicKey: CryptoKey): Promise<Bytes> {
	// A variable, not a literal: workerd's typings call the member `$public` (it is `public` at run time).
	const params = { name: "ECDH", public: publicKey };
	return new Uint8Array(await subtle.deriveBits(params, privateKey, 256));
}

export async function ecdsaSign(privateKey: CryptoKey, data: Bytes): Promise<Bytes> {
	return new Uint8Array(await subtle.sign(ECDSA_SHA256, privateKey, data));
}

export function ecdsaVerify(publicKey: CryptoKey, signature: Bytes, data: Bytes): Promise<boolean> {
	return subtle.verify(ECDSA_SHA256, publicKey, signature, data);
}

// ---- Symmetric ----

export function importHmacKey(raw: Bytes): Promise<CryptoKey> {
	return subtle.importKey("raw", raw, HMAC_SHA256, false, ["sign", "verify"]);
}

/** HMAC-SHA-512, for chunked-aead.ts's HKDF-Expand (WebCrypto's HKDF always runs Extract first). */
export function importHmacSha512Key(raw: Bytes): Promise<CryptoKey> {
	return subtle.importKey("raw", raw, HMAC_SHA512, false, ["sign"]);
}

export async function hmacSign(key: CryptoKey, data: Bytes): Promise<Bytes> {
	return new Uint8Array(await subtle.sign("HMAC", key, data));
}

export function hmacVerify(key: CryptoKey, tag: Bytes, data: Bytes): Promise<boolean> {
	return subtle.verify("HMAC", key, tag, data);
}

export function importHkdfKey(ikm: Bytes): Promise<CryptoKey> {
	return subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
}

export async function hkdfDeriveBits(
	key: CryptoKey,
	salt: Bytes,
	info: Bytes,
	bytes: number,
): Promise<Bytes> {
	return new Uint8Array(
		await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, bytes * 8),
	);
}

export function importAesGcmKey(raw: Bytes): Promise<CryptoKey> {
	return subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function aesGcmSeal(key: CryptoKey, iv: Bytes, additionalData: Bytes, plaintext: Bytes) {
	return new Uint8Array(
		await subtle.encrypt({ name: "AES-GCM", iv, additionalData, tagLength: 128 }, key, plaintext),
	);
}

export async function aesGcmOpen(key: CryptoKey, iv: Bytes, additionalData: Bytes, sealed: Bytes) {
	return new Uint8Array(
		await subtle.decrypt({ name: "AES-GCM", iv, additionalData, tagLength: 128 }, key, sealed),
	);
}

export function importHkdfAndDeriveBits(ikm: Bytes, salt: Bytes, info: Bytes, bytes: number): Promise<Bytes> {
	return importHkdfKey(ikm).then((key) => hkdfDeriveBits(key, salt, info, bytes));
}

export const webCryptoBackend: CryptoBackend = {
	name: "webcrypto",
	digest,
	async generateEcKeyPair(kind, extractable) {
		const pair = await generateEcKeyPair(kind, extractable);
		return { privateKey: pair.privateKey, publicKey: await exportRawPublicKey(pair.publicKey) };
	},
	importEcPublicKey,
	importEcPrivateKey: (kind, scalar, point, extractable) =>
		importEcPrivateKey(
			kind,
			{
				d: encodeBase64Url(scalar),
				x: encodeBase64Url(point.subarray(1, 33)),
				y: encodeBase64Url(point.subarray(33, 65)),
			},
			extractable,
		),
	async exportEcPrivateScalar(key) {
		const d = await exportPrivateJwkD(key);
		if (d === undefined) throw new TypeError("JWK export has no private scalar");
		const scalar = decodeBase64Url(d);
		if (!scalar) throw new TypeError("JWK export has a malformed private scalar");
		return scalar;
	},
	ecdhDeriveX,
	ecdsaSign,
	ecdsaVerify,
	importHmacKey: (raw, hash) => (hash === "SHA-256" ? importHmacKey(raw) : importHmacSha512Key(raw)),
	hmacSign,
	hmacVerify,
	hkdf: importHkdfAndDeriveBits,
	importAesGcmKey,
	aesGcmSeal,
	aesGcmOpen,
};
