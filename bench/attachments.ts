// Section 6 (issue 14): attachment throughput against the real relay with miniflare's R2, each figure
// beside a raw upload / download of the same number of bytes (random, unencrypted) in the same run:
//   encrypt+upload  = Padmé padding + Cobblestone-256 + SHA-256 of the ciphertext, streamed into POST
//   download+decrypt = GET streamed through SHA-256 + Cobblestone-256 + the padding check
// Both sides stream; nothing is buffered whole. MB = 10^6 bytes of the file (the raw rows: of the blob).
import { randomFillSync } from "node:crypto";
import {
	type AttachmentRelay,
	attachmentBlobSize,
	downloadAttachment,
	uploadAttachment,
} from "../protocol/messenger/index.ts";
import { AttachmentUploaded, parseJson } from "../protocol/wire/index.ts";
import { nextPhone, registerOpaque } from "./lib/harness.ts";
import type { BenchOptions, Row } from "./lib/options.ts";
import { startRelay } from "./lib/relays.ts";

const PIECE = 64 * 1024;

function randomStream(size: number): ReadableStream<Uint8Array> {
	let sent = 0;
	return new ReadableStream(
		{
			pull(controller) {
				if (sent >= size) return controller.close();
				const piece = randomFillSync(new Uint8Array(Math.min(PIECE, size - sent)));
				sent += piece.length;
				controller.enqueue(piece);
			},
		},
		{ highWaterMark: 0 },
	);
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
	let bytes = 0;
	await stream.pipeTo(
		new WritableStream({
			write(piece) {
				bytes += piece.length;
			},
		}),
	);
	return bytes;
}

async function rawUpload(relay: AttachmentRelay, size: number): Promise<string> {
	const init: RequestInit & { duplex: "half" } = {
		method: "POST",
		headers: { authorization: `Bearer ${relay.token}`, "content-length": String(size) },
		body: randomStream(size),
		duplex: "half",
	};
	const response = await fetch(`${relay.relayUrl}/v1/attachments`, init);
	const parsed = parseJson(AttachmentUploaded, await response.text(), 4096);
	if (!parsed.ok) throw new Error(`raw upload failed: HTTP ${response.status}`);
	return parsed.value.id;
}

async function rawDownload(relay: AttachmentRelay, id: string): Promise<number> {
	const response = await fetch(`${relay.relayUrl}/v1/attachments/${id}`, {
		headers: { authorization: `Bearer ${relay.token}` },
	});
	if (!response.ok || !response.body) throw new Error(`raw download failed: HTTP ${response.status}`);
	return drain(response.body);
}

const seconds = async (task: () => Promise<unknown>) => {
	const started = performance.now();
	await task();
	return (performance.now() - started) / 1000;
};

export async function run(options: BenchOptions): Promise<Row[]> {
	const size = options.quick ? 4_000_000 : 20_000_000;
	const rounds = options.quick ? 1 : 3;
	const blob = attachmentBlobSize(size);
	console.log(
		`[6] attachments: ${size / 1e6} MB files (blobs of ${(blob / 1e6).toFixed(2)} MB), ${rounds} rounds`,
	);
	const server = await startRelay("friendly", options.state);
	try {
		const account = await registerOpaque(server.url, nextPhone());
		const relay: AttachmentRelay = { relayUrl: server.url, token: account.token };
		const best = { up: 0, down: 0, rawUp: 0, rawDown: 0 };
		for (let round = 0; round < rounds; round++) {
			// Alternating, so a slower moment of the machine does not land on one side only.
			let id = "";
			const rawUp = await seconds(async () => {
				id = await rawUpload(relay, blob);
			});
			const rawDown = await seconds(() => rawDownload(relay, id));
			let pointer: Awaited<ReturnType<typeof uploadAttachment>> | undefined;
			const up = await seconds(async () => {
				pointer = await uploadAttachment(relay, randomStream(size), {
					size,
					name: "bench.bin",
					contentType: "application/octet-stream",
				});
			});
			if (!pointer) throw new Error("no pointer");
			const sealed = pointer;
			const down = await seconds(async () => {
				const got = await drain(await downloadAttachment(relay, sealed));
				if (got !== size) throw new Error(`decrypted ${got} bytes of ${size}`);
			});
			best.up = Math.max(best.up, size / 1e6 / up);
			best.down = Math.max(best.down, size / 1e6 / down);
			best.rawUp = Math.max(best.rawUp, blob / 1e6 / rawUp);
			best.rawDown = Math.max(best.rawDown, blob / 1e6 / rawDown);
			console.log(
				`  round ${round + 1}: encrypt+upload ${(size / 1e6 / up).toFixed(1)} MB/s (raw ${(blob / 1e6 / rawUp).toFixed(1)}), download+decrypt ${(size / 1e6 / down).toFixed(1)} MB/s (raw ${(blob / 1e6 / rawDown).toFixed(1)})`,
			);
		}
		const note = `${size / 1e6} MB file, best of ${rounds}`;
		return [
			{
				section: "6",
				name: "attachment encrypt+upload",
				value: best.up,
				unit: "MB/s",
				baseline: best.rawUp,
				baselineName: "raw upload",
				ratio: best.up / best.rawUp,
				note,
			},
			{
				section: "6",
				name: "attachment download+decrypt",
				value: best.down,
				unit: "MB/s",
				baseline: best.rawDown,
				baselineName: "raw download",
				ratio: best.down / best.rawDown,
				note,
			},
		];
	} finally {
		await server.stop();
	}
}
