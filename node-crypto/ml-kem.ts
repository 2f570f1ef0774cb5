// The node:crypto backend's ML-KEM-768 (protocol/crypto/ml-kem.ts's MlKemBackend), selected with
// setMlKemBackend wherever node-crypto/backend.ts is selected (the CLI, the bench, the tests):
// decapsulation runs in liboqs (Open Quantum Safe, @oqs/liboqs-js 0.15.1, MIT: liboqs's C code, i.e.
// mlkem-native, compiled to WebAssembly), about 100 µs against @noble/post-quantum's ~570 µs; key
// generation and encapsulation stay on noble (docs/PERFORMANCE.md §What limits each figure).
//
// Why only decapsulation: MlKemBackend takes FIPS 203's seeds (keygen from d || z, encapsulation from m)
// so that the known-answer and Wycheproof vectors check every implementation we run, and this build of
// liboqs exports only the randomized OQS_KEM_keypair / OQS_KEM_encaps (its randomness comes from inside
// the module, not from the caller), so its keygen and encapsulation could not be checked against a
// single vector. Decapsulation takes no randomness: the Wycheproof decapsulation vectors (implicit
// rejection, the H(ek) check on the decapsulation key, malleable ciphertexts) run against liboqs in
// test/protocol/node-backend.test.ts, and both directions interoperate with noble (cross-backend test).
//
// The module is the package's single-algorithm build (WebAssembly inlined in one 55 KB file), imported
// by its path: the package's own typed wrapper loads it through a computed import() that esbuild cannot
// follow, so the CLI bundle (client-cli/build.ts) would have needed the file beside it; a literal path
// is bundled like any other module. The version is pinned exactly in package.json because these are
// the build's raw exports (liboqs's C API over WebAssembly memory; types in liboqs-ml-kem-768.d.ts).
// Like noble, it is loaded on first use, not with this module.
//
// Secrets in WebAssembly memory: the decapsulation key and the shared secret are copied in and out of
// one allocation, which OQS_MEM_secure_free zeroes before freeing.

import type { LibOqsMlKem768 } from "../node_modules/@oqs/liboqs-js/dist/ml-kem-768.min.js";
import {
	ML_KEM_768_CIPHERTEXT_BYTES,
	ML_KEM_768_SECRET_KEY_BYTES,
	ML_KEM_768_SHARED_SECRET_BYTES,
	type MlKemBackend,
	nobleMlKemBackend,
} from "../protocol/crypto/ml-kem.ts";
import type { Bytes } from "../protocol/encoding/bytes.ts";

interface Decapsulator {
	decapsulate(ciphertext: Bytes, secretKey: Bytes): Bytes;
}

const BUFFER_BYTES =
	ML_KEM_768_CIPHERTEXT_BYTES + ML_KEM_768_SECRET_KEY_BYTES + ML_KEM_768_SHARED_SECRET_BYTES;

function liboqsDecapsulator(wasm: LibOqsMlKem768): Decapsulator {
	wasm._OQS_init();
	const name = new TextEncoder().encode("ML-KEM-768\0");
	const namePointer = wasm._malloc(name.length);
	if (namePointer === 0) throw new Error("liboqs: out of memory");
	wasm.HEAPU8.set(name, namePointer);
	const kem = wasm._OQS_KEM_new(namePointer);
	wasm._free(namePointer);
	if (kem === 0) throw new Error("liboqs: ML-KEM-768 is not in this build");
	return {
		decapsulate(ciphertext, secretKey) {
			const ciphertextAt = wasm._malloc(BUFFER_BYTES);
			if (ciphertextAt === 0) throw new Error("liboqs: out of memory");
			const secretKeyAt = ciphertextAt + ML_KEM_768_CIPHERTEXT_BYTES;
			const sharedSecretAt = secretKeyAt + ML_KEM_768_SECRET_KEY_BYTES;
			try {
				wasm.HEAPU8.set(ciphertext, ciphertextAt);
				wasm.HEAPU8.set(secretKey, secretKeyAt);
				// -1 when the key fails the FIPS 203 §7.3 hash check; a wrong ciphertext is not an error
				// (implicit rejection: the result is then a pseudorandom key).
				if (wasm._OQS_KEM_decaps(kem, sharedSecretAt, ciphertextAt, secretKeyAt) !== 0) {
					throw new Error("liboqs refused the decapsulation key");
				}
				return wasm.HEAPU8.slice(sharedSecretAt, sharedSecretAt + ML_KEM_768_SHARED_SECRET_BYTES);
			} finally {
				wasm._OQS_MEM_secure_free(ciphertextAt, BUFFER_BYTES);
			}
		},
	};
}

let liboqs: Promise<Decapsulator> | undefined;
const decapsulator = () => {
	liboqs ??= import("../node_modules/@oqs/liboqs-js/dist/ml-kem-768.min.js").then(async (module) =>
		liboqsDecapsulator(await module.default()),
	);
	return liboqs;
};

/** Key generation and encapsulation on @noble/post-quantum (seeded), decapsulation on liboqs. */
export const nodeMlKemBackend: MlKemBackend = {
	keyPair: nobleMlKemBackend.keyPair,
	encapsulate: nobleMlKemBackend.encapsulate,
	async decapsulate(ciphertext, secretKey) {
		return (await decapsulator()).decapsulate(ciphertext, secretKey);
	},
};
