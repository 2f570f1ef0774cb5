// Moving an attachment through the relay (docs/PROTOCOL.md §Attachments), as streams end to end: a 100 MB
// file is never in memory whole on either side (one 16 KiB chunk plus the transport's buffers).
//
// Sending: file → padded to its Padmé size (suite 2's padding, crypto/padme.ts: file || 0x80 || 0x00…, so
// the relay learns only a size class) → Cobblestone-256 under a fresh key → SHA-256 of the ciphertext
// taken as it streams → POST /v1/attachments. The pointer (key, digest, sizes, type, name) then goes
// inside the end-to-end message (attachments-content.ts).
//
// Receiving: GET /v1/attachments/:id → SHA-256 of the ciphertext → Cobblestone-256 decryption (commitment
// first, every chunk authenticated) → the padding checked and cut off → exactly `size` bytes. Any mismatch
// errors the plaintext stream with `attachment_damaged`, at the latest when it ends (the digest is known
// only then): callers write to a temporary place and keep the file only once the stream closed cleanly.
import {
	chunkedCiphertextLength,
	createChunkedDecryptStream,
	createChunkedEncryptStream,
	generateChunkedKey,
} from "../crypto/chunked-aead.ts";
import { PAD_MARKER, paddedLength } from "../crypto/padme.ts";
import { createSha256 } from "../crypto/sha256-stream.ts";
import { decodeBase64Url, encodeBase64Url } from "../encoding/base64url.ts";
import { constantTimeEqual } from "../encoding/bytes.ts";
import { isProtocolError } from "../errors.ts";
import {
	API_PREFIX,
	AttachmentUploaded,
	DEFAULT_ATTACHMENT_MAX_BYTES,
	ErrorBody,
	parseJson,
} from "../wire/index.ts";
import type { AttachmentPointer } from "./attachments-content.ts";
import { sanitiseFileName } from "./attachments-content.ts";
import { MessengerError } from "./errors.ts";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Domain separation: these blobs are FriendLy attachments, version 1. */
const CONTEXT = new TextEncoder().encode("FriendLy attachment v1");
/** The padding is written in pieces of this size, not as one buffer (it can be 2 MiB for 100 MB). */
const PAD_PIECE_BYTES = 64 * 1024;

export interface AttachmentRelay {
	readonly relayUrl: string;
	readonly token: string;
	readonly fetch?: FetchLike;
}

export type Progress = (done: number, total: number) => void;

/** What the relay stores for a file of `size` bytes: the padded plaintext's Cobblestone ciphertext. */
export function attachmentBlobSize(size: number): number {
	return chunkedCiphertextLength(paddedLength(size));
}

export function megabytesText(bytes: number): string {
	return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

/** Refuses, before anything is read or uploaded, a file whose blob would exceed `maxBytes`. */
export function checkAttachmentSize(size: number, maxBytes = DEFAULT_ATTACHMENT_MAX_BYTES): void {
	if (attachmentBlobSize(size) > maxBytes) {
		throw new MessengerError(
			"attachment_too_large",
			`too large: limit ${megabytesText(maxBytes)} (this file is ${megabytesText(size)}).`,
		);
	}
}

function padStream(size: number): TransformStream<Uint8Array, Uint8Array> {
	let seen = 0;
	return new TransformStream({
		transform(piece, controller) {
			seen += piece.length;
			if (seen > size) throw new MessengerError("invalid_argument", "The file grew while it was being sent.");
			controller.enqueue(piece);
		},
		flush(controller) {
			if (seen !== size)
				throw new MessengerError("invalid_argument", "The file shrank while it was being sent.");
			let left = paddedLength(size) - size;
			let first = true;
			while (left > 0) {
				const piece = new Uint8Array(Math.min(left, PAD_PIECE_BYTES));
				if (first) piece[0] = PAD_MARKER;
				first = false;
				controller.enqueue(piece);
				left -= piece.length;
			}
		},
	});
}

/** Passes bytes through, hashing them and reporting progress; `digest()` once the stream has ended. */
function tap(total: number, onProgress?: Progress) {
	const hasher = createSha256();
	let done = 0;
	let result: Uint8Array | null = null;
	const stream = new TransformStream<Uint8Array, Uint8Array>({
		transform(piece, controller) {
			hasher.update(piece);
			done += piece.length;
			onProgress?.(done, total);
			controller.enqueue(piece);
		},
		flush() {
			result = hasher.digest();
		},
	});
	return { stream, digest: () => result, count: () => done };
}

export interface UploadOptions {
	readonly size: number;
	readonly name: string;
	readonly contentType: string;
	readonly thumbnail?: string;
	/** The relay's per-blob limit, when it is not the default. */
	readonly maxBytes?: number;
	readonly onProgress?: Progress;
	/**
	 * Collect the ciphertext in a Blob and upload that (browsers: streamed request bodies need HTTP/2,
	 * and a Blob of this size is kept on disk by the browser, not in memory). Default: stream it.
	 */
	readonly buffered?: boolean;
}

async function relayFailure(response: Response, what: string): Promise<MessengerError> {
	const text = await response.text().catch(() => "");
	const parsed = parseJson(ErrorBody, text, 64 * 1024);
	if (!parsed.ok)
		return new MessengerError("bad_response", `The relay answered HTTP ${response.status} to ${what}.`);
	const { code, message, retryAfter } = parsed.value.error;
	return new MessengerError(code, message, retryAfter !== undefined ? { retryAfter } : {});
}

const unreachable = (relay: AttachmentRelay) =>
	new MessengerError(
		"relay_unreachable",
		`Cannot reach the FriendLy relay at ${relay.relayUrl}; check your connection, then try again.`,
	);

/** Encrypts and uploads `file`; the pointer to send inside the message. Nothing is kept on failure. */
export async function uploadAttachment(
	relay: AttachmentRelay,
	file: ReadableStream<Uint8Array>,
	options: UploadOptions,
): Promise<AttachmentPointer> {
	checkAttachmentSize(options.size, options.maxBytes);
	const key = generateChunkedKey();
	const blobSize = attachmentBlobSize(options.size);
	const hashing = tap(blobSize, options.onProgress);
	const ciphertext = file
		.pipeThrough(padStream(options.size))
		.pipeThrough(createChunkedEncryptStream(key, CONTEXT))
		.pipeThrough(hashing.stream);
	const body = options.buffered ? await new Response(ciphertext).blob() : ciphertext;
	const fetchImpl = relay.fetch ?? ((input, init) => fetch(input, init));
	const init: RequestInit & { duplex?: "half" } = {
		method: "POST",
		headers: {
			authorization: `Bearer ${relay.token}`,
			"content-type": "application/octet-stream",
			"content-length": String(blobSize),
		},
		body,
		// Node's fetch needs this for a stream body; a Blob needs nothing.
		...(options.buffered ? {} : { duplex: "half" as const }),
	};
	let response: Response;
	try {
		response = await fetchImpl(`${relay.relayUrl.replace(/\/+$/, "")}${API_PREFIX}/attachments`, init);
	} catch (error) {
		if (error instanceof MessengerError) throw error;
		throw unreachable(relay);
	}
	if (!response.ok) {
		const failure = await relayFailure(response, "the upload");
		// The relay's own limit (it may differ from the default this client assumed), in its words.
		if (failure.code === "too_large") throw new MessengerError("attachment_too_large", failure.message);
		throw failure;
	}
	const uploaded = parseJson(AttachmentUploaded, await response.text(), 4096);
	const digest = hashing.digest();
	if (!uploaded.ok || digest === null || uploaded.value.size !== blobSize)
		throw new MessengerError(
			"bad_response",
			"The relay's answer to the upload does not match what was sent.",
		);
	return {
		id: uploaded.value.id,
		key: encodeBase64Url(key),
		digest: encodeBase64Url(digest),
		size: options.size,
		blobSize,
		contentType: options.contentType,
		name: sanitiseFileName(options.name),
		...(options.thumbnail !== undefined ? { thumbnail: options.thumbnail } : {}),
	};
}

const damaged = (why: string) =>
	new MessengerError("attachment_damaged", `damaged: it does not match what was sent (${why}).`);

/** Cuts the padding off, checking it is exactly what the sender's padStream wrote. */
function unpadStream(size: number): TransformStream<Uint8Array, Uint8Array> {
	const padding = paddedLength(size) - size;
	let seen = 0;
	return new TransformStream({
		transform(piece, controller) {
			const keep = Math.max(0, Math.min(piece.length, size - seen));
			if (keep > 0) controller.enqueue(piece.subarray(0, keep));
			for (let i = keep; i < piece.length; i++) {
				const offset = seen + i - size;
				if (piece[i] !== (offset === 0 ? PAD_MARKER : 0)) throw damaged("bad padding");
			}
			seen += piece.length;
			if (seen > size + padding) throw damaged("too long");
		},
		flush() {
			if (seen !== size + padding) throw damaged("too short");
		},
	});
}

/** Checks the ciphertext's digest when it ends, before the last plaintext chunk can be released. */
function digestCheck(pointer: AttachmentPointer, onProgress?: Progress) {
	const expected = decodeBase64Url(pointer.digest);
	const hasher = createSha256();
	let seen = 0;
	return new TransformStream<Uint8Array, Uint8Array>({
		transform(piece, controller) {
			hasher.update(piece);
			seen += piece.length;
			if (seen > pointer.blobSize) throw damaged("longer than sent");
			onProgress?.(seen, pointer.blobSize);
			controller.enqueue(piece);
		},
		flush() {
			if (seen !== pointer.blobSize) throw damaged("shorter than sent");
			if (!expected || !constantTimeEqual(hasher.digest(), expected)) throw damaged("digest");
		},
	});
}

/**
 * Downloads and decrypts; resolves with the plaintext stream (exactly `pointer.size` bytes), which errors
 * with MessengerError("attachment_damaged") on any mismatch. Rejects with `gone` when the relay no longer
 * has the blob.
 */
export async function downloadAttachment(
	relay: AttachmentRelay,
	pointer: AttachmentPointer,
	options: { onProgress?: Progress } = {},
): Promise<ReadableStream<Uint8Array>> {
	const key = decodeBase64Url(pointer.key);
	if (key?.length !== 32) throw damaged("bad key");
	const fetchImpl = relay.fetch ?? ((input, init) => fetch(input, init));
	let response: Response;
	try {
		response = await fetchImpl(
			`${relay.relayUrl.replace(/\/+$/, "")}${API_PREFIX}/attachments/${encodeURIComponent(pointer.id)}`,
			{ headers: { authorization: `Bearer ${relay.token}` } },
		);
	} catch {
		throw unreachable(relay);
	}
	if (!response.ok) throw await relayFailure(response, "the download");
	const body = response.body ?? new Blob([]).stream();
	const plaintext = body
		.pipeThrough(digestCheck(pointer, options.onProgress))
		.pipeThrough(createChunkedDecryptStream(key, CONTEXT))
		.pipeThrough(unpadStream(pointer.size));
	// Errors keep their meaning: a ProtocolError from the decryption is a damaged blob too.
	const reader = plaintext.getReader();
	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			try {
				const { done, value } = await reader.read();
				if (done) controller.close();
				else controller.enqueue(value);
			} catch (error) {
				if (isProtocolError(error))
					controller.error(damaged(error.code === "decrypt_failed" ? "decryption" : error.code));
				else if (error instanceof MessengerError) controller.error(error);
				else
					controller.error(
						new MessengerError("relay_unreachable", "The download broke off; nothing was saved. Try again."),
					);
			}
		},
		cancel(reason) {
			return reader.cancel(reason);
		},
	});
}
