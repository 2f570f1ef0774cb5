// Cobblestone-256: c2sp.org/chunked-encryption (v1) with HKDF-Expand-SHA-512 and AES-256-GCM, as Web
// Streams, for attachments (docs/PROTOCOL.md §Attachments). A 100 MB file never sits in memory whole:
// each side buffers one 16 KiB chunk.
//
//   key || base nonce || commitment = HKDF-Expand(prk = input key,
//       info = "c2sp.org/chunked-encryption@v1+" || "AEAD_AES_256_GCM" || 0x00 || salt || context, 76)
//   ciphertext = salt (24) || commitment (32) || AES-256-GCM(chunk i, nonce = base nonce XOR i) ...
//
// The message is cut into 16 KiB chunks; the final chunk is always shorter (possibly empty), which is
// what marks the end: a stream that stops after a full chunk is truncated. The AAD is empty. The
// commitment is checked (in constant time) before any chunk is decrypted, so a wrong key or context never
// yields plaintext. Decryption emits a chunk only after its tag verified; on any failure the stream
// errors (and stays errored): a caller that wrote the prefix out must delete it (messenger/attachments).
//
// WebCrypto's HKDF always runs Extract first, so HKDF-Expand (RFC 5869 §2.3) is done here with two
// HMAC-SHA-512 blocks. Tested with the 35 Wycheproof vectors (test/protocol/wycheproof.suite.ts).

import { type Bytes, concatBytes, constantTimeEqual, utf8 } from "../encoding/bytes.ts";
import { ProtocolError } from "../errors.ts";
import { cryptoBackend } from "./backend.ts";
import { randomBytes } from "./webcrypto.ts";

export const CHUNK_BYTES = 16_384;
export const CHUNK_TAG_BYTES = 16;
export const CHUNKED_KEY_BYTES = 32;
export const CHUNKED_SALT_BYTES = 24;
export const CHUNKED_COMMITMENT_BYTES = 32;
export const CHUNKED_HEADER_BYTES = CHUNKED_SALT_BYTES + CHUNKED_COMMITMENT_BYTES;
const NONCE_BYTES = 12;
/** The spec allows 2^38 chunks; 2^32 (64 TiB) is its lowest recommended cap and far beyond any file. */
const MAX_CHUNKS = 2 ** 32;
const SEALED_CHUNK_BYTES = CHUNK_BYTES + CHUNK_TAG_BYTES;
const EMPTY = new Uint8Array(0);
const INFO_PREFIX = utf8("c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\u0000");

/** The ciphertext length of a message of `plaintextLength` bytes (56 + 16 per chunk of overhead). */
export function chunkedCiphertextLength(plaintextLength: number): number {
	const full = Math.floor(plaintextLength / CHUNK_BYTES);
	return CHUNKED_HEADER_BYTES + full * SEALED_CHUNK_BYTES + (plaintextLength % CHUNK_BYTES) + CHUNK_TAG_BYTES;
}

/** A fresh random input key (32 bytes). */
export const generateChunkedKey = (): Bytes => randomBytes(CHUNKED_KEY_BYTES);

interface Derived {
	readonly key: CryptoKey;
	readonly baseNonce: Bytes;
	readonly commitment: Bytes;
}

function checkInputKey(inputKey: Uint8Array): void {
	if (inputKey.length !== CHUNKED_KEY_BYTES) {
		throw new ProtocolError("invalid_argument", "Cobblestone-256 input keys are exactly 32 bytes");
	}
}

/** HKDF-Expand-SHA-512 of 76 bytes (two blocks) → the AEAD key, base nonce and commitment. */
async function derive(inputKey: Uint8Array, salt: Uint8Array, context: Uint8Array): Promise<Derived> {
	const backend = cryptoBackend();
	const prk = await backend.importHmacKey(concatBytes(inputKey), "SHA-512");
	const info = concatBytes(INFO_PREFIX, salt, context);
	const t1 = await backend.hmacSign(prk, concatBytes(info, Uint8Array.of(1)));
	const t2 = await backend.hmacSign(prk, concatBytes(t1, info, Uint8Array.of(2)));
	const okm = concatBytes(t1, t2);
	return {
		key: await backend.importAesGcmKey(okm.slice(0, 32)),
		baseNonce: okm.slice(32, 32 + NONCE_BYTES),
		commitment: okm.slice(32 + NONCE_BYTES, 32 + NONCE_BYTES + CHUNKED_COMMITMENT_BYTES),
	};
}

/** base nonce XOR the chunk counter as a big-endian integer (at most 5 bytes wide). */
function chunkNonce(baseNonce: Bytes, counter: number): Bytes {
	if (counter >= MAX_CHUNKS) throw new ProtocolError("invalid_argument", "too many chunks");
	const nonce = baseNonce.slice();
	for (let i = 0; i < 5; i++) {
		const index = NONCE_BYTES - 1 - i;
		nonce[index] = (nonce[index] as number) ^ (Math.floor(counter / 256 ** i) & 0xff);
	}
	return nonce;
}

async function openChunk(derived: Derived, counter: number, sealed: Bytes): Promise<Bytes> {
	try {
		return await cryptoBackend().aesGcmOpen(
			derived.key,
			chunkNonce(derived.baseNonce, counter),
			EMPTY,
			sealed,
		);
	} catch {
		throw new ProtocolError("decrypt_failed", `chunk ${counter} does not authenticate`);
	}
}

export interface ChunkedEncryptOptions {
	/** Tests only (the Wycheproof re-encryption check): the salt is otherwise always fresh and random. */
	readonly salt?: Uint8Array;
}

/** A stream that encrypts whatever is written to it; the output is the whole ciphertext, header first. */
export function createChunkedEncryptStream(
	inputKey: Uint8Array,
	context: Uint8Array,
	options: ChunkedEncryptOptions = {},
): TransformStream<Uint8Array, Bytes> {
	checkInputKey(inputKey);
	const salt = options.salt ? concatBytes(options.salt) : randomBytes(CHUNKED_SALT_BYTES);
	if (salt.length !== CHUNKED_SALT_BYTES) throw new ProtocolError("invalid_argument", "salts are 24 bytes");
	const buffer = new Uint8Array(CHUNK_BYTES);
	let fill = 0;
	let counter = 0;
	let derived: Derived | undefined;
	const seal = async (plaintext: Bytes): Promise<Bytes> => {
		if (!derived) throw new Error("unreachable: derived in start()");
		const nonce = chunkNonce(derived.baseNonce, counter);
		counter++;
		return cryptoBackend().aesGcmSeal(derived.key, nonce, EMPTY, plaintext);
	};
	return new TransformStream<Uint8Array, Bytes>({
		async start(controller) {
			derived = await derive(inputKey, salt, context);
			controller.enqueue(concatBytes(salt, derived.commitment));
		},
		async transform(piece, controller) {
			let offset = 0;
			while (offset < piece.length) {
				const take = Math.min(CHUNK_BYTES - fill, piece.length - offset);
				buffer.set(piece.subarray(offset, offset + take), fill);
				fill += take;
				offset += take;
				if (fill === CHUNK_BYTES) {
					controller.enqueue(await seal(buffer));
					fill = 0;
				}
			}
		},
		async flush(controller) {
			// Always a final short chunk, empty when the message is a whole number of chunks.
			controller.enqueue(await seal(buffer.subarray(0, fill)));
		},
	});
}

/**
 * A stream that decrypts a ciphertext written to it in pieces of any size. It errors with
 * ProtocolError("decrypt_failed") on a wrong key or context, a modified, reordered, truncated or
 * extended ciphertext, and keeps erroring; a key of the wrong size throws invalid_argument at once.
 */
export function createChunkedDecryptStream(
	inputKey: Uint8Array,
	context: Uint8Array,
): TransformStream<Uint8Array, Bytes> {
	checkInputKey(inputKey);
	const key = concatBytes(inputKey);
	const ctx = concatBytes(context);
	const header = new Uint8Array(CHUNKED_HEADER_BYTES);
	let headerFill = 0;
	const buffer = new Uint8Array(SEALED_CHUNK_BYTES);
	let fill = 0;
	let counter = 0;
	let derived: Derived | undefined;
	return new TransformStream<Uint8Array, Bytes>({
		async transform(piece, controller) {
			let offset = 0;
			if (!derived) {
				const take = Math.min(CHUNKED_HEADER_BYTES - headerFill, piece.length);
				header.set(piece.subarray(0, take), headerFill);
				headerFill += take;
				offset = take;
				if (headerFill < CHUNKED_HEADER_BYTES) return;
				const candidate = await derive(key, header.subarray(0, CHUNKED_SALT_BYTES), ctx);
				if (!constantTimeEqual(candidate.commitment, header.subarray(CHUNKED_SALT_BYTES))) {
					throw new ProtocolError(
						"decrypt_failed",
						"the key commitment does not match (wrong key or context, or a modified header)",
					);
				}
				derived = candidate;
			}
			while (offset < piece.length) {
				const take = Math.min(SEALED_CHUNK_BYTES - fill, piece.length - offset);
				buffer.set(piece.subarray(offset, offset + take), fill);
				fill += take;
				offset += take;
				// A full sealed chunk is never the final one (the final chunk is always short).
				if (fill === SEALED_CHUNK_BYTES) {
					controller.enqueue(await openChunk(derived, counter, buffer.slice()));
					counter++;
					fill = 0;
				}
			}
		},
		async flush(controller) {
			if (!derived) throw new ProtocolError("decrypt_failed", "the ciphertext is shorter than its header");
			if (fill < CHUNK_TAG_BYTES) {
				throw new ProtocolError("decrypt_failed", "the ciphertext is truncated (no short final chunk)");
			}
			controller.enqueue(await openChunk(derived, counter, buffer.slice(0, fill)));
		},
	});
}
