// Cobblestone-256 (protocol/crypto/chunked-aead.ts, c2sp.org/chunked-encryption) against the 35 Wycheproof
// vectors, applied as test/vectors/wycheproof/c2sp_chunked_encryption.md says: streaming decryption of
// every vector (fed in odd-sized pieces), the PartialPlaintext prefix rule (never a byte beyond the valid
// prefix, an error at the end, and still an error when read again), the key-size check, and the salt-
// injected re-encryption of every valid message (identical ciphertext). Runs in Node, Chromium and workerd.

import * as v from "valibot";
import {
	CHUNK_BYTES,
	chunkedCiphertextLength,
	createChunkedDecryptStream,
	createChunkedEncryptStream,
	generateChunkedKey,
} from "../../protocol/crypto/chunked-aead.ts";
import { sha256, sha512 } from "../../protocol/crypto/sha.ts";
import { concatBytes } from "../../protocol/encoding/bytes.ts";
import { isProtocolError } from "../../protocol/session/index.ts";
import { AssertionFailed, assert, assertEqual, fromHex, hex, type Suite, seededRandom } from "./harness.ts";

const Vector = v.object({
	tcId: v.number(),
	comment: v.string(),
	key: v.string(),
	ctx: v.string(),
	ct: v.string(),
	aeadKey: v.optional(v.string()),
	baseNonce: v.optional(v.string()),
	msgLength: v.optional(v.number()),
	msgSha512: v.optional(v.string()),
	result: v.picklist(["valid", "invalid"]),
	flags: v.array(v.string()),
});
const ChunkedFile = v.object({
	algorithm: v.literal("Cobblestone-256"),
	numberOfTests: v.number(),
	testGroups: v.array(
		v.object({
			type: v.literal("ChunkedEncryption"),
			aead: v.literal("AEAD_AES_256_GCM"),
			sha: v.literal("SHA-512"),
			tests: v.array(Vector),
		}),
	),
});

/** `ct` is zlib-compressed then hex (the 4 MiB counter-rollover vectors are mostly zeros). */
async function inflate(compressed: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
	const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream("deflate"));
	return new Uint8Array(await new Response(stream).arrayBuffer());
}

interface Outcome {
	readonly output: Uint8Array<ArrayBuffer>;
	readonly error: unknown;
	readonly errorAgain: boolean;
}

/** Streams `input` through `transform` in pieces of `sizes` (cycled), collecting what comes out before any error. */
async function run(
	transform: TransformStream<Uint8Array, Uint8Array>,
	input: Uint8Array,
	sizes: readonly number[],
): Promise<Outcome> {
	const writer = transform.writable.getWriter();
	const reader = transform.readable.getReader();
	const writing = (async () => {
		let offset = 0;
		let i = 0;
		while (offset < input.length) {
			const size = sizes[i++ % sizes.length] ?? 1;
			await writer.write(input.subarray(offset, offset + size));
			offset += size;
		}
		await writer.close();
	})().catch(() => undefined);
	const parts: Uint8Array[] = [];
	let error: unknown;
	for (;;) {
		try {
			const { done, value } = await reader.read();
			if (done) break;
			parts.push(value);
		} catch (caught) {
			error = caught;
			break;
		}
	}
	await writing;
	let errorAgain = false;
	if (error !== undefined) {
		try {
			await reader.read();
		} catch {
			errorAgain = true;
		}
	}
	return { output: concatBytes(...parts), error, errorAgain };
}

async function encrypt(key: Uint8Array, context: Uint8Array, message: Uint8Array, salt?: Uint8Array) {
	const outcome = await run(
		createChunkedEncryptStream(key, context, salt ? { salt } : {}),
		message,
		[5000, 16_384, 1, 40_000],
	);
	if (outcome.error !== undefined) throw outcome.error;
	return outcome.output;
}

const decrypt = (key: Uint8Array, context: Uint8Array, ciphertext: Uint8Array, sizes = [7, 16_400, 3000]) =>
	run(createChunkedDecryptStream(key, context), ciphertext, sizes);

function expectRejected(outcome: Outcome, what: string): void {
	if (outcome.error === undefined) throw new AssertionFailed(`${what}: accepted`);
	if (!isProtocolError(outcome.error, "decrypt_failed"))
		throw new AssertionFailed(`${what}: failed with ${String(outcome.error)}, not decrypt_failed`);
	assert(outcome.errorAgain, `${what}: a second read did not fail again`);
}

export const chunkedAeadSuite: Suite = {
	name: "chunked-aead",
	cases: {
		"Cobblestone-256: the 35 Wycheproof vectors, streamed; valid messages re-encrypt identically": async (
			env,
		) => {
			const parsed = v.safeParse(
				ChunkedFile,
				await env.loadWycheproof("c2sp_chunked_encryption_aes_256_gcm_test.json"),
			);
			if (!parsed.success) throw new AssertionFailed(`vector file shape: ${parsed.issues[0].message}`);
			const failures: string[] = [];
			let count = 0;
			for (const group of parsed.output.testGroups) {
				for (const t of group.tests) {
					count++;
					const key = fromHex(t.key);
					const context = fromHex(t.ctx);
					const ciphertext = await inflate(fromHex(t.ct));
					if (t.flags.includes("InvalidKeySize")) {
						let refused = false;
						try {
							createChunkedDecryptStream(key, context);
						} catch (error) {
							refused = isProtocolError(error, "invalid_argument");
						}
						if (!refused) failures.push(`tcId ${t.tcId}: a ${key.length}-byte key was accepted`);
						continue;
					}
					const outcome = await decrypt(key, context, ciphertext);
					if (t.result === "valid") {
						if (outcome.error !== undefined) {
							failures.push(`tcId ${t.tcId} (${t.comment}): ${String(outcome.error)}`);
							continue;
						}
						if (outcome.output.length !== t.msgLength || hex(await sha512(outcome.output)) !== t.msgSha512)
							failures.push(`tcId ${t.tcId}: plaintext differs`);
						const again = await encrypt(key, context, outcome.output, ciphertext.subarray(0, 24));
						if (hex(await sha256(again)) !== hex(await sha256(ciphertext)))
							failures.push(`tcId ${t.tcId}: re-encryption with the vector's salt differs`);
						if (chunkedCiphertextLength(outcome.output.length) !== ciphertext.length)
							failures.push(`tcId ${t.tcId}: chunkedCiphertextLength is wrong`);
						continue;
					}
					if (outcome.error === undefined) {
						failures.push(`tcId ${t.tcId} (${t.comment}): invalid ciphertext accepted`);
						continue;
					}
					if (!isProtocolError(outcome.error, "decrypt_failed"))
						failures.push(`tcId ${t.tcId}: failed with ${String(outcome.error)}`);
					if (!outcome.errorAgain) failures.push(`tcId ${t.tcId}: a read after the error did not fail`);
					// Never a byte beyond the longest valid prefix (none at all without PartialPlaintext).
					const prefix = t.flags.includes("PartialPlaintext") ? (t.msgLength ?? 0) : 0;
					if (outcome.output.length > prefix)
						failures.push(`tcId ${t.tcId}: ${outcome.output.length} bytes released, prefix is ${prefix}`);
					if (prefix > 0 && t.msgSha512 !== undefined && outcome.output.length === prefix)
						if (hex(await sha512(outcome.output)) !== t.msgSha512)
							failures.push(`tcId ${t.tcId}: the released prefix differs`);
				}
			}
			if (failures.length > 0) throw new AssertionFailed(failures.slice(0, 10).join("\n"));
			assertEqual(count, 35, "vectors run");
		},

		"Cobblestone-256 round trips at the chunk boundaries, in any piece sizes": async () => {
			const random = seededRandom(14);
			const key = generateChunkedKey();
			const context = Uint8Array.of(1, 2, 3);
			for (const length of [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES, 70_001]) {
				const message = Uint8Array.from({ length }, () => random.int(256));
				const ciphertext = await encrypt(key, context, message);
				assertEqual(ciphertext.length, chunkedCiphertextLength(length), `ciphertext length for ${length}`);
				const outcome = await decrypt(key, context, ciphertext, [1 + random.int(20_000)]);
				if (outcome.error !== undefined) throw outcome.error;
				assertEqual(hex(outcome.output), hex(message), `round trip of ${length} bytes`);
			}
			// Two encryptions of the same message under the same key differ (fresh salt).
			const a = await encrypt(key, context, Uint8Array.of(1));
			const b = await encrypt(key, context, Uint8Array.of(1));
			assert(hex(a) !== hex(b), "a fresh salt each time");
		},

		"Cobblestone-256 rejects a stored blob tampered, truncated, extended or reordered": async () => {
			const key = generateChunkedKey();
			const context = new Uint8Array(0);
			const message = Uint8Array.from({ length: 3 * CHUNK_BYTES + 100 }, (_, i) => i % 251);
			const ct = await encrypt(key, context, message);
			const sealed = CHUNK_BYTES + 16;
			const chunk = (i: number) => ct.subarray(56 + i * sealed, 56 + (i + 1) * sealed);
			const flipped = ct.slice();
			flipped[56 + sealed + 10] = (flipped[56 + sealed + 10] as number) ^ 1;
			expectRejected(await decrypt(key, context, flipped), "a flipped bit in chunk 1");
			expectRejected(await decrypt(key, context, ct.subarray(0, ct.length - 1)), "one byte short");
			expectRejected(await decrypt(key, context, ct.subarray(0, 56 + 2 * sealed)), "cut at a chunk boundary");
			expectRejected(await decrypt(key, context, concatBytes(ct, Uint8Array.of(0))), "one byte extra");
			const swapped = concatBytes(ct.subarray(0, 56), chunk(1), chunk(0), ct.subarray(56 + 2 * sealed));
			expectRejected(await decrypt(key, context, swapped), "chunks 0 and 1 swapped");
			const otherKey = generateChunkedKey();
			const wrongKey = await decrypt(otherKey, context, ct);
			expectRejected(wrongKey, "another key");
			assertEqual(wrongKey.output.length, 0, "no plaintext under another key");
			expectRejected(await decrypt(key, Uint8Array.of(9), ct), "another context");
		},
	},
};
