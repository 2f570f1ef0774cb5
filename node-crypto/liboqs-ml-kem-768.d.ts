// Types for the one file of @oqs/liboqs-js (0.15.1, pinned) that ml-kem.ts imports: the Emscripten
// build of liboqs with ML-KEM-768 only, WebAssembly inlined. The package ships no types for it (its own
// typed wrapper loads it by a computed path a bundler cannot follow); these are the members ml-kem.ts
// uses, as that build exports them: liboqs's C API (src/kem/kem.h) with pointers as numbers into HEAPU8,
// each call returning OQS_SUCCESS (0) or OQS_ERROR (-1).
declare module "*/@oqs/liboqs-js/dist/ml-kem-768.min.js" {
	export interface LibOqsMlKem768 {
		/** The WebAssembly memory; replaced when it grows, so read it after every allocation. */
		readonly HEAPU8: Uint8Array;
		_OQS_init(): void;
		/** An OQS_KEM* for the NUL-terminated method name at `name`, 0 when unknown. */
		_OQS_KEM_new(name: number): number;
		/** The randomized key generation: draws d || z (64 bytes) from the runtime's random source. */
		_OQS_KEM_keypair(kem: number, publicKey: number, secretKey: number): number;
		/** The randomized encapsulation: draws m (32 bytes); -1 when the key fails the modulus check. */
		_OQS_KEM_encaps(kem: number, ciphertext: number, sharedSecret: number, publicKey: number): number;
		/** OQS_SUCCESS (0) or OQS_ERROR (-1, e.g. a decapsulation key whose H(ek) does not match). */
		_OQS_KEM_decaps(kem: number, sharedSecret: number, ciphertext: number, secretKey: number): number;
		_malloc(size: number): number;
		_free(pointer: number): void;
		/** Zeroes `size` bytes at `pointer`, then frees them. */
		_OQS_MEM_secure_free(pointer: number, size: number): void;
	}
	const createModule: () => Promise<LibOqsMlKem768>;
	export default createModule;
}
