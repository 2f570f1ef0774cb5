// The client side of the large-attachment memory test (test/adversarial/attachment-memory.test.ts), run in
// a process of its own so that its memory is the client's alone (the relay's test harness lives in the
// test's process). Generates `size` pseudo-random bytes as a stream, encrypts and uploads them as one user
// and downloads and decrypts them as the other, both through the CLI's transport
// (client-cli/streaming-fetch.ts), and prints one JSON line: the bytes' digests, the timings, the memory.
//
// The resident set is sampled every 10 ms (and the kernel's peak read at the end), as a user sees it: it
// includes garbage the collector has not reclaimed yet (V8 lets tens of MiB of dead ArrayBuffers pile up
// before it collects, whatever the file's size), so only a large file separates streaming from buffering.
//
//   node --expose-gc --import tsx attachment-transfer.ts
//   stdin: {"relayUrl", "sender", "receiver", "size", "maxBytes"}
import { createHash } from "node:crypto";
import { text } from "node:stream/consumers";
import { streamingFetch } from "../../../client-cli/streaming-fetch.ts";
import { downloadAttachment, uploadAttachment } from "../../../protocol/messenger/index.ts";

const PIECE = 64 * 1024;

interface Input {
	readonly relayUrl: string;
	readonly sender: string;
	readonly receiver: string;
	readonly size: number;
	readonly maxBytes: number;
}

/** `size` pseudo-random bytes as a stream, hashed as they are produced; pulled one piece at a time. */
function generated(size: number, hash: ReturnType<typeof createHash>): ReadableStream<Uint8Array> {
	let offset = 0;
	let state = 0x12345678;
	return new ReadableStream(
		{
			pull(controller) {
				if (offset >= size) return controller.close();
				const piece = new Uint8Array(Math.min(PIECE, size - offset));
				for (let i = 0; i < piece.length; i += 4) {
					state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
					piece[i] = state & 0xff;
					if (i + 1 < piece.length) piece[i + 1] = (state >>> 8) & 0xff;
					if (i + 2 < piece.length) piece[i + 2] = (state >>> 16) & 0xff;
					if (i + 3 < piece.length) piece[i + 3] = state >>> 24;
				}
				hash.update(piece);
				offset += piece.length;
				controller.enqueue(piece);
			},
		},
		{ highWaterMark: 0 },
	);
}

const input = JSON.parse(await text(process.stdin)) as Input;
const sent = createHash("sha256");
const got = createHash("sha256");
let baseline = 0;
let peak = 0;
let peakUpload = 0;
let peakArrays = 0;

// A first small transfer warms up the code paths (fetch, WebCrypto, the hash) so the baseline includes them.
await transfer(64 * 1024, createHash("sha256"), createHash("sha256"));
globalThis.gc?.();
baseline = process.memoryUsage().rss;
peak = baseline;
const sampler = setInterval(() => {
	const usage = process.memoryUsage();
	peak = Math.max(peak, usage.rss);
	peakArrays = Math.max(peakArrays, usage.arrayBuffers);
}, 10);
const started = performance.now();
const { uploadedAt, received, blobSize } = await transfer(input.size, sent, got);
const done = performance.now();
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(
	`${JSON.stringify({
		received,
		blobSize,
		sent: sent.digest("hex"),
		got: got.digest("hex"),
		uploadSeconds: (uploadedAt - started) / 1000,
		downloadSeconds: (done - uploadedAt) / 1000,
		baseline,
		peak,
		peakUpload,
		peakArrays,
		maxRss: process.resourceUsage().maxRSS * 1024,
	})}\n`,
);

async function transfer(size: number, sentHash: typeof sent, gotHash: typeof got) {
	const pointer = await uploadAttachment(
		{ relayUrl: input.relayUrl, token: input.sender, fetch: streamingFetch },
		generated(size, sentHash),
		{
			size,
			name: "large.bin",
			contentType: "application/octet-stream",
			maxBytes: input.maxBytes,
		},
	);
	const uploadedAt = performance.now();
	peakUpload = peak;
	const plaintext = await downloadAttachment(
		{ relayUrl: input.relayUrl, token: input.receiver, fetch: streamingFetch },
		pointer,
	);
	let received = 0;
	await plaintext.pipeTo(
		new WritableStream({
			write(piece) {
				gotHash.update(piece);
				received += piece.length;
			},
		}),
	);
	return { uploadedAt, received, blobSize: pointer.blobSize };
}
