// The one interface to the cryptographic primitives (ECDSA and ECDH on P-256, AES-GCM, HMAC, HKDF, SHA-2)
// and the backend in use. The primitive files (ecdh.ts, ecdsa.ts, p256.ts, hkdf.ts, hmac.ts, aes-gcm.ts,
// sha.ts, chunked-aead.ts) call `cryptoBackend()` and add the checks their specifications require; no
// other file in protocol/ calls a backend.
//
// Two backends implement it:
// - WebCrypto (webcrypto.ts), the default: the same code in browsers, workerd and Node.
// - node:crypto (node-crypto/backend.ts, outside protocol/ because protocol/ must not import node:
//   modules): KeyObjects and synchronous one-shot calls, 2-10x faster per call in Node because every
//   WebCrypto call there is an asynchronous hop to a thread pool. Node entry points select it with
//   setCryptoBackend before doing any cryptography: the CLI (client-cli/index.ts), the bench, the tests.
//
// Keys are typed `CryptoKey` throughout the library: a WebCrypto CryptoKey, or the node backend's key,
// which has the same four read-only members (type, extractable, algorithm, usages) and keeps its
// KeyObject private. Code above the primitive files only passes keys around and reads `extractable`.
// Both backends produce byte-identical results for the same inputs (the KAT and Wycheproof suites run
// against each), so sessions interoperate across backends; the node backend also accepts WebCrypto
// CryptoKeys (test helpers make some), the WebCrypto backend does not accept node keys.
//
// Every method is asynchronous because WebCrypto is; the node backend does its work synchronously and
// returns a settled promise. Inputs reach a backend already checked by the primitive files (lengths,
// point encoding, nonce size); a backend rejects what its engine rejects (a point off the curve, a
// failed authentication tag) by throwing, and the primitive files turn that into their own result.
// Random bytes are not part of the interface: `crypto.getRandomValues` is synchronous and the same
// operating-system generator in every runtime (webcrypto.ts randomBytes).

import type { Bytes } from "../encoding/bytes.ts";
import { webCryptoBackend } from "./webcrypto.ts";

/** Which P-256 algorithm a key serves: one key is never used for both (see x3dh.ts). */
export type EcKind = "ECDH" | "ECDSA";

export type HashName = "SHA-256" | "SHA-512";

/** A generated P-256 key pair: the private key (extractable or not) and the public SEC1 point. */
export interface EcKeyPairBytes {
	readonly privateKey: CryptoKey;
	/** 0x04 || X || Y, 65 bytes. */
	readonly publicKey: Bytes;
}

export interface CryptoBackend {
	/** For reports and tests: "webcrypto" or "node". */
	readonly name: string;

	digest(algorithm: HashName, data: Bytes): Promise<Bytes>;

	// ---- P-256 ----
	generateEcKeyPair(kind: EcKind, extractable: boolean): Promise<EcKeyPairBytes>;
	/** A 65-byte uncompressed point; throws when it is not on the curve. */
	importEcPublicKey(kind: EcKind, point: Bytes): Promise<CryptoKey>;
	/** A 32-byte scalar with its 65-byte point; throws when they do not form a key. */
	importEcPrivateKey(kind: EcKind, scalar: Bytes, point: Bytes, extractable: boolean): Promise<CryptoKey>;
	/** The 32-byte scalar of an extractable private key (the caller checks `extractable`). */
	exportEcPrivateScalar(key: CryptoKey): Promise<Bytes>;
	/** Z = x(d·Q), 32 bytes. */
	ecdhDeriveX(privateKey: CryptoKey, publicKey: CryptoKey): Promise<Bytes>;
	/** ECDSA with SHA-256, IEEE P1363 r || s (64 bytes). */
	ecdsaSign(privateKey: CryptoKey, data: Bytes): Promise<Bytes>;
	ecdsaVerify(publicKey: CryptoKey, signature: Bytes, data: Bytes): Promise<boolean>;

	// ---- Symmetric ----
	/** A non-empty HMAC key, non-extractable. */
	importHmacKey(raw: Bytes, hash: HashName): Promise<CryptoKey>;
	hmacSign(key: CryptoKey, data: Bytes): Promise<Bytes>;
	/** Constant-time comparison of a full-length tag. */
	hmacVerify(key: CryptoKey, tag: Bytes, data: Bytes): Promise<boolean>;
	/** HKDF-SHA-256 extract-then-expand (RFC 5869), `length` bytes (1..8160). */
	hkdf(ikm: Bytes, salt: Bytes, info: Bytes, length: number): Promise<Bytes>;
	/** A 16- or 32-byte AES key, non-extractable. */
	importAesGcmKey(raw: Bytes): Promise<CryptoKey>;
	/** ciphertext || 16-byte tag, with a 12-byte IV. */
	aesGcmSeal(key: CryptoKey, iv: Bytes, additionalData: Bytes, plaintext: Bytes): Promise<Bytes>;
	/** The plaintext; throws when the tag does not verify. */
	aesGcmOpen(key: CryptoKey, iv: Bytes, additionalData: Bytes, sealed: Bytes): Promise<Bytes>;
}

let active: CryptoBackend = webCryptoBackend;

/** The backend every primitive uses. */
export function cryptoBackend(): CryptoBackend {
	return active;
}

/**
 * Selects the backend for the whole process (module instance). Call it once at start-up, before any
 * key exists: keys made by one backend are not all usable by the other (see above).
 */
export function setCryptoBackend(backend: CryptoBackend): void {
	active = backend;
}
