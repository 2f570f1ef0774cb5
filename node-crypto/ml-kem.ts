// The node:crypto backend's ML-KEM-768 (protocol/crypto/ml-kem.ts's MlKemBackend), selected with
// setMlKemBackend wherever node-crypto/backend.ts is selected (the CLI, the bench, the tests): liboqs
// (Open Quantum Safe, @oqs/liboqs-js 0.15.1, MIT: liboqs's C code, i.e. mlkem-native, compiled to
// WebAssembly), 100-130 µs per key generation, encapsulation or decapsulation against 490-615 µs for
// @noble/post-quantum (docs/PERFORMANCE.md §What limits each figure). The web app and the relay keep
// noble.
//
// The module is the package's single-algorithm build (WebAssembly inlined in one 55 KB file), imported
// by its path: the package's typed wrapper loads it through a computed import() that esbuild cannot
// follow, so the CLI bundle (client-cli/build.ts) would have needed the file beside it; a literal path
// is bundled like any other module. The version is pinned exactly in package.json because these are the
// build's raw exports (liboqs's C API over WebAssembly memory; types in liboqs-ml-kem-768.d.ts). Like
// noble, it is loaded on first use, not with this module.
//
// FIPS 203 seeds. MlKemBackend takes key generation's d || z and encapsulation's m, so that the
// known-answer and Wycheproof vectors check every implementation we run (and callers draw them from
// crypto.getRandomValues: protocol/crypto/ml-kem.ts). This build exports only the randomized
// OQS_KEM_keypair and OQS_KEM_encaps, which draw exactly those bytes from their random source in one call
// (mlkem-native: randombytes(coins, 64) then keypair_derand; randombytes(coins, 32) then enc_derand), and
// the Emscripten runtime's random source in Node is node:crypto's randomFillSync, looked up on every
// draw. So for the one synchronous call, `seeded` puts a randomFillSync in place that hands out the seed
// and nothing else, and restores the real one before anything else can run. It fails closed: a draw of
// any other size, a second draw, or a seed left unused gets fresh random bytes from the real
// randomFillSync (the WebAssembly call is never interrupted, so its memory stays consistent) and the
// operation then throws, its output discarded. The 100 key-generation and 265 encapsulation vectors
// (test/protocol/node-backend.test.ts) show the seed lands exactly where FIPS 203 puts d || z and m.
//
// Secrets in WebAssembly memory (the decapsulation key, the shared secret) are in one allocation per
// call, which OQS_MEM_secure_free zeroes before freeing; a seed goes straight into liboqs's own buffer,
// which mlkem-native clears after use.

import nodeCrypto from "node:crypto";
import type { LibOqsMlKem768 } from "../node_modules/@oqs/liboqs-js/dist/ml-kem-768.min.js";
import {
	ML_KEM_768_CIPHERTEXT_BYTES,
	ML_KEM_768_PUBLIC_KEY_BYTES,
	ML_KEM_768_SECRET_KEY_BYTES,
	ML_KEM_768_SHARED_SECRET_BYTES,
	type MlKemBackend,
	type MlKemEncapsulation,
	type MlKemKeyPair,
} from "../protocol/crypto/ml-kem.ts";
import type { Bytes } from "../protocol/encoding/bytes.ts";

interface LibOqs {
	keyPair(seed: Bytes): MlKemKeyPair;
	encapsulate(publicKey: Bytes, message: Bytes): MlKemEncapsulation;
	decapsulate(ciphertext: Bytes, secretKey: Bytes): Bytes;
}

type RandomFill = (buffer: Uint8Array) => Uint8Array;
// The object the Emscripten runtime reads randomFillSync from on every draw (its require("node:crypto")).
const randomSource = nodeCrypto as unknown as { randomFillSync: RandomFill };

/**
 * Runs `call` (synchronous, a liboqs status) with `seed` as the only random bytes it may draw; see above.
 * A failed call's status is returned as it is: its output is not used. Exported for its tests.
 */
export function seeded(seed: Bytes, call: () => number): number {
	const random = randomSource.randomFillSync;
	let staged: Bytes | undefined = seed;
	let misuse = false;
	randomSource.randomFillSync = (buffer) => {
		if (staged && buffer.length === staged.length) {
			buffer.set(staged);
			staged = undefined;
			return buffer;
		}
		misuse = true;
		return random(buffer);
	};
	let status: number;
	try {
		status = call();
	} finally {
		randomSource.randomFillSync = random;
	}
	if (status === 0 && (misuse || staged)) throw new Error("liboqs did not draw exactly the FIPS 203 seed");
	return status;
}

function liboqs(wasm: LibOqsMlKem768): LibOqs {
	wasm._OQS_init();
	const name = new TextEncoder().encode("ML-KEM-768\0");
	const namePointer = wasm._malloc(name.length);
	if (namePointer === 0) throw new Error("liboqs: out of memory");
	wasm.HEAPU8.set(name, namePointer);
	const kem = wasm._OQS_KEM_new(namePointer);
	wasm._free(namePointer);
	if (kem === 0) throw new Error("liboqs: ML-KEM-768 is not in this build");

	/** One zeroed-on-free allocation of `sizes`, their addresses passed to `use`. */
	const withMemory = <T>(sizes: readonly number[], use: (at: number[]) => T): T => {
		const total = sizes.reduce((sum, size) => sum + size, 0);
		const base = wasm._malloc(total);
		if (base === 0) throw new Error("liboqs: out of memory");
		const at: number[] = [];
		let offset = base;
		for (const size of sizes) {
			at.push(offset);
			offset += size;
		}
		try {
			return use(at);
		} finally {
			wasm._OQS_MEM_secure_free(base, total);
		}
	};
	const read = (at: number, length: number): Bytes => wasm.HEAPU8.slice(at, at + length);

	return {
		keyPair(seed) {
			return withMemory(
				[ML_KEM_768_PUBLIC_KEY_BYTES, ML_KEM_768_SECRET_KEY_BYTES],
				([publicKeyAt = 0, secretKeyAt = 0]) => {
					const status = seeded(seed, () => wasm._OQS_KEM_keypair(kem, publicKeyAt, secretKeyAt));
					if (status !== 0) throw new Error("liboqs: key generation failed");
					return {
						publicKey: read(publicKeyAt, ML_KEM_768_PUBLIC_KEY_BYTES),
						secretKey: read(secretKeyAt, ML_KEM_768_SECRET_KEY_BYTES),
					};
				},
			);
		},
		encapsulate(publicKey, message) {
			return withMemory(
				[ML_KEM_768_PUBLIC_KEY_BYTES, ML_KEM_768_CIPHERTEXT_BYTES, ML_KEM_768_SHARED_SECRET_BYTES],
				([publicKeyAt = 0, ciphertextAt = 0, sharedSecretAt = 0]) => {
					wasm.HEAPU8.set(publicKey, publicKeyAt);
					const status = seeded(message, () =>
						wasm._OQS_KEM_encaps(kem, ciphertextAt, sharedSecretAt, publicKeyAt),
					);
					// -1 when the key fails the FIPS 203 §7.2 modulus check.
					if (status !== 0) throw new Error("liboqs refused the encapsulation key");
					return {
						ciphertext: read(ciphertextAt, ML_KEM_768_CIPHERTEXT_BYTES),
						sharedSecret: read(sharedSecretAt, ML_KEM_768_SHARED_SECRET_BYTES),
					};
				},
			);
		},
		decapsulate(ciphertext, secretKey) {
			return withMemory(
				[ML_KEM_768_CIPHERTEXT_BYTES, ML_KEM_768_SECRET_KEY_BYTES, ML_KEM_768_SHARED_SECRET_BYTES],
				([ciphertextAt = 0, secretKeyAt = 0, sharedSecretAt = 0]) => {
					wasm.HEAPU8.set(ciphertext, ciphertextAt);
					wasm.HEAPU8.set(secretKey, secretKeyAt);
					// -1 when the key fails the FIPS 203 §7.3 hash check; a wrong ciphertext is not an error
					// (implicit rejection: the result is then a pseudorandom key).
					if (wasm._OQS_KEM_decaps(kem, sharedSecretAt, ciphertextAt, secretKeyAt) !== 0) {
						throw new Error("liboqs refused the decapsulation key");
					}
					return read(sharedSecretAt, ML_KEM_768_SHARED_SECRET_BYTES);
				},
			);
		},
	};
}

let loaded: Promise<LibOqs> | undefined;
const load = () => {
	loaded ??= import("../node_modules/@oqs/liboqs-js/dist/ml-kem-768.min.js").then(async (module) =>
		liboqs(await module.default()),
	);
	return loaded;
};

/** ML-KEM-768 on liboqs (WebAssembly), seeded as FIPS 203 specifies. */
export const nodeMlKemBackend: MlKemBackend = {
	keyPair: async (seed) => (await load()).keyPair(seed),
	encapsulate: async (publicKey, message) => (await load()).encapsulate(publicKey, message),
	decapsulate: async (ciphertext, secretKey) => (await load()).decapsulate(ciphertext, secretKey),
};
