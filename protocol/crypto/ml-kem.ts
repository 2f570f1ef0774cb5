// ML-KEM-768 (NIST FIPS 203, "Module-Lattice-Based Key-Encapsulation Mechanism Standard", 2024-08-13),
// the post-quantum half of suite 2's session setup (x3dh.ts, docs/E2E-PROTOCOL.md §Suite 2).
//
// Like backend.ts for the classical primitives, this file is the single door to an ML-KEM
// implementation: `MlKemBackend` is the whole interface the library uses, and `mlKemBackend` the one
// implementation in use. Today that is @noble/post-quantum (pure JavaScript: the same code in Node,
// browsers and workerd); a runtime that ships ML-KEM in WebCrypto can be given a backend calling
// `crypto.subtle` instead (setMlKemBackend), without touching any caller. Every call is asynchronous
// for that reason, although the pure-JS backend is synchronous.
//
// The checks FIPS 203 requires on top of the backend (§7.2 encapsulation-key check, §7.3 decapsulation
// input checks) are done here or by the backend, and every failure becomes a ProtocolError:
//   - encapsulation keys are exactly 1,184 bytes and every coefficient is reduced mod q (the "modulus
//     check"; Wycheproof's ModulusOverflow vectors), else invalid_key;
//   - ciphertexts are exactly 1,088 bytes, decapsulation keys exactly 2,400 bytes with a matching
//     embedded hash H(ek), else invalid_argument / invalid_key;
//   - a well-formed but wrong ciphertext is NOT an error: decapsulation then returns the implicit-
//     rejection key (§6.3), a pseudorandom value unrelated to the sender's, so the session ids differ and
//     the setup fails with decrypt_failed (setup.ts). Nothing about the rejection is observable earlier.
// Secret keys (the 2,400-byte decapsulation key) are plain bytes: stores seal them like other private
// material (the CLI's files, IndexedDB records) and nothing logs them.

import type { Bytes } from "../encoding/bytes.ts";
import { ProtocolError } from "../errors.ts";
import { randomBytes } from "./webcrypto.ts";

export const ML_KEM_768_PUBLIC_KEY_BYTES = 1184;
export const ML_KEM_768_SECRET_KEY_BYTES = 2400;
export const ML_KEM_768_CIPHERTEXT_BYTES = 1088;
export const ML_KEM_768_SHARED_SECRET_BYTES = 32;
/** FIPS 203 key-generation seed d || z. */
export const ML_KEM_768_SEED_BYTES = 64;
/** FIPS 203 encapsulation randomness m. */
export const ML_KEM_768_MESSAGE_BYTES = 32;

export interface MlKemKeyPair {
	/** Encapsulation key ek (1,184 bytes), published in prekey bundles. */
	readonly publicKey: Bytes;
	/** Decapsulation key dk (2,400 bytes). Private. */
	readonly secretKey: Bytes;
}

export interface MlKemEncapsulation {
	readonly ciphertext: Bytes;
	readonly sharedSecret: Bytes;
}

/** What an ML-KEM-768 implementation must provide. Inputs are already length-checked. */
export interface MlKemBackend {
	keyPair(seed: Bytes): Promise<MlKemKeyPair>;
	/** Throws when `publicKey` fails the FIPS 203 §7.2 modulus check. */
	encapsulate(publicKey: Bytes, message: Bytes): Promise<MlKemEncapsulation>;
	/** Throws when `secretKey` fails the FIPS 203 §7.3 hash check; implicit rejection otherwise. */
	decapsulate(ciphertext: Bytes, secretKey: Bytes): Promise<Bytes>;
}

const copy = (bytes: Uint8Array): Bytes => new Uint8Array(bytes);

// Loaded on first use, not with this module: the relay only runs checkMlKemPublicKey (below, no
// library needed), and CLI commands and page loads that set up no session never pay for evaluating
// the ML-KEM code (tens of milliseconds under load).
let noble: Promise<typeof import("@noble/post-quantum/ml-kem.js")> | undefined;
const mlKem768 = async () => {
	noble ??= import("@noble/post-quantum/ml-kem.js");
	return (await noble).ml_kem768;
};

/** @noble/post-quantum 0.7 (MIT), pure JavaScript. */
export const nobleMlKemBackend: MlKemBackend = {
	async keyPair(seed) {
		const pair = (await mlKem768()).keygen(seed);
		return { publicKey: copy(pair.publicKey), secretKey: copy(pair.secretKey) };
	},
	async encapsulate(publicKey, message) {
		const out = (await mlKem768()).encapsulate(publicKey, message);
		return { ciphertext: copy(out.cipherText), sharedSecret: copy(out.sharedSecret) };
	},
	async decapsulate(ciphertext, secretKey) {
		return copy((await mlKem768()).decapsulate(ciphertext, secretKey));
	},
};

let backend: MlKemBackend = nobleMlKemBackend;

/** Replaces the implementation (e.g. with a native WebCrypto ML-KEM); returns the previous one. */
export function setMlKemBackend(next: MlKemBackend): MlKemBackend {
	const previous = backend;
	backend = next;
	return previous;
}

function checkLength(
	bytes: Uint8Array,
	length: number,
	what: string,
	code: "invalid_key" | "invalid_argument",
) {
	if (bytes.length !== length) throw new ProtocolError(code, `ML-KEM-768 ${what} must be ${length} bytes`);
}

/**
 * A fresh key pair, or the deterministic one of a 64-byte seed d || z (FIPS 203 ML-KEM.KeyGen_internal;
 * for known-answer tests).
 */
export function generateMlKemKeyPair(seed?: Bytes): Promise<MlKemKeyPair> {
	const input = seed ?? randomBytes(ML_KEM_768_SEED_BYTES);
	checkLength(input, ML_KEM_768_SEED_BYTES, "seeds", "invalid_argument");
	return backend.keyPair(input);
}

const ML_KEM_Q = 3329;
/** ek = ByteEncode12(t̂) (k = 3 polynomials of 256 coefficients, 384 bytes each) || rho (32 bytes). */
const ENCODED_T_BYTES = 3 * 384;

/**
 * Checks an encapsulation key received from outside without encapsulating (cheap enough for the relay
 * to run on every upload): its length, and the FIPS 203 §7.2 modulus check, i.e. every 12-bit
 * coefficient of ByteEncode12(t̂) is below q = 3,329 (so ByteEncode12(ByteDecode12(ek)) = ek).
 */
export function checkMlKemPublicKey(publicKey: Uint8Array): boolean {
	if (publicKey.length !== ML_KEM_768_PUBLIC_KEY_BYTES) return false;
	for (let i = 0; i < ENCODED_T_BYTES; i += 3) {
		const b0 = publicKey[i] ?? 0;
		const b1 = publicKey[i + 1] ?? 0;
		const b2 = publicKey[i + 2] ?? 0;
		if ((b0 | ((b1 & 0x0f) << 8)) >= ML_KEM_Q || ((b1 >> 4) | (b2 << 4)) >= ML_KEM_Q) return false;
	}
	return true;
}

/**
 * Encapsulates a fresh shared secret to `publicKey`. `message` (32 bytes) fixes the randomness for
 * known-answer tests; leave it out otherwise.
 */
export async function mlKemEncapsulate(publicKey: Bytes, message?: Bytes): Promise<MlKemEncapsulation> {
	checkLength(publicKey, ML_KEM_768_PUBLIC_KEY_BYTES, "encapsulation keys", "invalid_key");
	const m = message ?? randomBytes(ML_KEM_768_MESSAGE_BYTES);
	checkLength(m, ML_KEM_768_MESSAGE_BYTES, "encapsulation randomness", "invalid_argument");
	try {
		return await backend.encapsulate(publicKey, m);
	} catch {
		throw new ProtocolError("invalid_key", "the ML-KEM-768 encapsulation key is not valid (modulus check)");
	}
}

/** The shared secret of `ciphertext` (the implicit-rejection key when it was not made for this key). */
export async function mlKemDecapsulate(ciphertext: Bytes, secretKey: Bytes): Promise<Bytes> {
	checkLength(ciphertext, ML_KEM_768_CIPHERTEXT_BYTES, "ciphertexts", "invalid_argument");
	checkLength(secretKey, ML_KEM_768_SECRET_KEY_BYTES, "decapsulation keys", "invalid_key");
	try {
		return await backend.decapsulate(ciphertext, secretKey);
	} catch {
		throw new ProtocolError("invalid_key", "the ML-KEM-768 decapsulation key is not valid (hash check)");
	}
}
