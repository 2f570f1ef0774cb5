// Attachments end to end against the real Worker with miniflare's R2 (wrangler's test harness), from
// Node's fetch: a file is padded, encrypted and streamed up, its pointer sent inside the end-to-end
// message, and the receiver downloads, checks and decrypts it to identical bytes. A relay that hands back
// a tampered, truncated, reordered or extended blob (a fetch in between) gets `attachment_damaged` and
// no plaintext beyond what had already authenticated; the caller keeps nothing (see attachments-transfer).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHUNK_BYTES } from "../../protocol/crypto/chunked-aead.ts";
import { paddedLength } from "../../protocol/crypto/padme.ts";
import {
	type AttachmentPointer,
	type AttachmentRelay,
	attachmentBlobSize,
	downloadAttachment,
	MessengerError,
	uploadAttachment,
} from "../../protocol/messenger/index.ts";
import { registerUser, type TestUser } from "../support/messenger-user.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";

let relay: RunningRelay;
let alice: TestUser;
let bob: TestUser;
let aliceRelay: AttachmentRelay;
let bobRelay: AttachmentRelay;

async function relayOf(user: TestUser): Promise<AttachmentRelay> {
	const account = await user.stores.account.loadAccount();
	if (!account) throw new Error("not registered");
	return { relayUrl: account.relayUrl, token: account.token };
}

beforeAll(async () => {
	relay = await startRelay({ vars: { ATTACHMENT_MAX_BYTES: String(4 * 1024 * 1024) } });
	alice = await registerUser(relay.url, "+1 555 555 0911");
	bob = await registerUser(relay.url, "+1 555 555 0912");
	aliceRelay = await relayOf(alice);
	bobRelay = await relayOf(bob);
	alice.messenger.start();
	bob.messenger.start();
	await Promise.all([alice.messenger.waitForDrain(), bob.messenger.waitForDrain()]);
}, 60_000);

afterAll(async () => {
	alice?.messenger.stop();
	bob?.messenger.stop();
	await relay?.close();
});

function fileBytes(length: number): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(length);
	for (let i = 0; i < length; i++) out[i] = (i * 7919 + (i >> 8)) & 0xff;
	return out;
}

function streamOf(bytes: Uint8Array, piece = 10_000): ReadableStream<Uint8Array> {
	let offset = 0;
	return new ReadableStream({
		pull(controller) {
			if (offset >= bytes.length) return controller.close();
			controller.enqueue(bytes.slice(offset, offset + piece));
			offset += piece;
		},
	});
}

/** Reads the plaintext stream; returns what it released and the error it ended with. */
async function drain(stream: ReadableStream<Uint8Array>) {
	const reader = stream.getReader();
	let released = 0;
	const parts: Uint8Array[] = [];
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) return { bytes: Buffer.concat(parts), released, error: undefined };
			released += value.length;
			parts.push(value);
		}
	} catch (error) {
		return { bytes: Buffer.concat(parts), released, error };
	}
}

async function send(bytes: Uint8Array, name: string, contentType = "application/octet-stream") {
	return uploadAttachment(aliceRelay, streamOf(bytes), { size: bytes.length, name, contentType });
}

describe("attachments through the real relay", () => {
	it("a file sent in a message arrives with its pointer and decrypts to identical bytes", async () => {
		const bytes = fileBytes(3 * CHUNK_BYTES + 1234);
		const progress: number[] = [];
		const pointer = await uploadAttachment(aliceRelay, streamOf(bytes), {
			size: bytes.length,
			name: "../../etc/report\u202e.pdf",
			contentType: "application/pdf",
			onProgress: (done) => progress.push(done),
		});
		expect(pointer.name).toBe("report.pdf");
		expect(pointer.blobSize).toBe(attachmentBlobSize(bytes.length));
		expect(progress.at(-1)).toBe(pointer.blobSize);
		const sent = await alice.messenger.sendAttachment(bob.phone, pointer, "the report");
		expect(sent.status === "sent" || sent.status === "queued").toBe(true);
		await bob.until(
			(events) => events.some((e) => e.type === "message" && e.entry.attachment?.id === pointer.id),
			"the attachment message",
		);
		const message = bob.events.find((e) => e.type === "message" && e.entry.attachment?.id === pointer.id);
		if (message?.type !== "message" || !message.entry.attachment) throw new Error("no attachment");
		expect(message.entry.text).toBe("the report");
		expect(message.entry.attachment).toEqual(pointer);
		const out = await drain(await downloadAttachment(bobRelay, message.entry.attachment));
		expect(out.error).toBeUndefined();
		expect(Buffer.compare(out.bytes, Buffer.from(bytes))).toBe(0);
	});

	it("an empty file works; blob sizes are padded to Padmé buckets", async () => {
		const empty = await send(new Uint8Array(0), "empty.txt", "text/plain");
		expect(empty.size).toBe(0);
		const out = await drain(await downloadAttachment(bobRelay, empty));
		expect(out.error).toBeUndefined();
		expect(out.bytes.length).toBe(0);
		// Two files of different sizes in one bucket leave blobs of the same size.
		const a = await send(fileBytes(100_000), "a.bin");
		const b = await send(fileBytes(100_000 - 900), "b.bin");
		expect(paddedLength(100_000)).toBe(paddedLength(100_000 - 900));
		expect(a.blobSize).toBe(b.blobSize);
	});

	it("a file over the relay's limit is refused before upload, stating the limit", async () => {
		const big = 4 * 1024 * 1024;
		let read = false;
		const source = new ReadableStream<Uint8Array>(
			{
				pull() {
					read = true;
				},
			},
			{ highWaterMark: 0 },
		);
		const error = await uploadAttachment(aliceRelay, source, {
			size: big,
			name: "big.bin",
			contentType: "application/octet-stream",
			maxBytes: big,
		}).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(MessengerError);
		expect((error as MessengerError).code).toBe("attachment_too_large");
		expect((error as MessengerError).message).toContain("too large: limit 4 MB");
		expect(read).toBe(false);
		// The relay refuses it too when a client does not know the limit.
		const refused = await uploadAttachment(aliceRelay, streamOf(fileBytes(big)), {
			size: big,
			name: "big.bin",
			contentType: "application/octet-stream",
			maxBytes: 8 * big,
		}).catch((caught: unknown) => caught);
		expect((refused as MessengerError).code).toBe("attachment_too_large");
		expect((refused as MessengerError).message).toContain("too large: limit 4 MB");
	});

	describe("a relay that hands back a different blob", () => {
		let pointer: AttachmentPointer;
		beforeAll(async () => {
			pointer = await send(fileBytes(3 * CHUNK_BYTES + 500), "photo.jpg", "image/jpeg");
		});

		/** A relay whose stored blob was changed by `change`. */
		function altered(change: (blob: Uint8Array) => Uint8Array): AttachmentRelay {
			return {
				...bobRelay,
				fetch: async (input, init) => {
					const response = await fetch(input, init);
					const blob = change(new Uint8Array(await response.arrayBuffer()));
					return new Response(Uint8Array.from(blob), {
						status: response.status,
						headers: { "content-type": "application/octet-stream" },
					});
				},
			};
		}
		const sealed = CHUNK_BYTES + 16;
		const cases: [string, (blob: Uint8Array) => Uint8Array][] = [
			[
				"a flipped bit",
				(blob) => {
					const copy = blob.slice();
					copy[56 + sealed + 5] = (copy[56 + sealed + 5] as number) ^ 0x10;
					return copy;
				},
			],
			["truncated at a chunk boundary", (blob) => blob.slice(0, 56 + 2 * sealed)],
			["truncated by one byte", (blob) => blob.slice(0, blob.length - 1)],
			[
				"chunks 0 and 1 swapped",
				(blob) =>
					Buffer.concat([
						blob.subarray(0, 56),
						blob.subarray(56 + sealed, 56 + 2 * sealed),
						blob.subarray(56, 56 + sealed),
						blob.subarray(56 + 2 * sealed),
					]),
			],
			["one byte appended", (blob) => Buffer.concat([blob, Buffer.of(0)])],
			["another blob entirely", (blob) => new Uint8Array(blob.length)],
		];
		it.each(cases)("%s: attachment_damaged", async (_name, change) => {
			const out = await drain(await downloadAttachment(altered(change), pointer));
			expect(out.error).toBeInstanceOf(MessengerError);
			expect((out.error as MessengerError).code).toBe("attachment_damaged");
			expect((out.error as MessengerError).message).toContain("damaged: it does not match what was sent");
			expect(out.released).toBeLessThan(pointer.size);
		});
	});
});
