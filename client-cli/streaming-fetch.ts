// Streamed HTTP bodies for the CLI's file transfers (docs/CLI.md §Files), with memory bounded.
//
// Node's built-in fetch keeps the chunks of a streamed request body (a ReadableStream or an async
// iterable, `duplex: "half"`) reachable: measured on Node 22.23, a 100 MB upload grew the process by about
// 100 MiB, 95 MiB of it ArrayBuffers still live after a full collection — the file in memory after all. A
// node:http(s) request written through `pipeline` holds only what the socket has not taken yet
// (backpressure), so a request whose body is a stream goes that way, and so do bodiless ones (the
// downloads, so that both directions run the code the memory test measures); the rest is Node's fetch.
// The answer is handed back as a standard Response, so the shared code (protocol/messenger/
// attachments-transfer.ts) reads it the same way. test/adversarial/attachment-memory.test.ts bounds it.
//
// node:http and node:https are imported on the first transfer, not at start-up: an ESM import of
// node:http builds its whole export list, which loads Node's fetch implementation (undici) — about a
// third of a `friendly` start for commands that never touch the network (whoami, history, verify, …).
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FetchLike } from "../protocol/messenger/index.ts";

function responseOf(message: IncomingMessage): Response {
	const headers = new Headers();
	for (const [name, value] of Object.entries(message.headers)) {
		if (value === undefined) continue;
		for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
	}
	const status = message.statusCode ?? 502;
	const empty = status === 204 || status === 304 || (status >= 100 && status < 200);
	if (empty) message.resume();
	return new Response(empty ? null : (Readable.toWeb(message) as ReadableStream<Uint8Array>), {
		status,
		statusText: message.statusMessage ?? "",
		headers,
	});
}

/** fetch through node:http(s) for a streamed or empty request body (backpressure both ways). */
export const streamingFetch: FetchLike = async (input, init) => {
	const body = init?.body;
	if (body !== undefined && body !== null && !(body instanceof ReadableStream)) return fetch(input, init);
	const url = new URL(input);
	const headers: OutgoingHttpHeaders = {};
	new Headers(init?.headers).forEach((value, name) => {
		headers[name] = value;
	});
	const send =
		url.protocol === "https:" ? (await import("node:https")).request : (await import("node:http")).request;
	const outgoing = send(url, { method: init?.method ?? (body ? "POST" : "GET"), headers });
	const answered = new Promise<IncomingMessage>((resolve, reject) => {
		outgoing.once("response", resolve);
		outgoing.once("error", reject);
	});
	const sending = body
		? pipeline(Readable.fromWeb(body as import("node:stream/web").ReadableStream), outgoing)
		: new Promise<void>((resolve) => outgoing.end(resolve));
	try {
		const message = await answered;
		// The relay answered (at the end, or early with a refusal): what it did not read no longer matters.
		sending.catch(() => undefined);
		return responseOf(message);
	} catch (error) {
		// No answer: the body's own failure (a file that changed while it was read) says more than the socket's.
		const failure = await sending.then(
			() => undefined,
			(reason: unknown) => reason,
		);
		throw failure ?? error;
	}
};
