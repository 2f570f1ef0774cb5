// Files in the browser (docs/WEB.md §Files): a picked or dropped File is encrypted and uploaded through the
// shared messenger code (protocol/messenger/attachments-transfer.ts); the ciphertext is collected in a Blob
// first (Chromium streams request bodies only over HTTP/2, and a Blob this size lives on disk, not in the
// page's memory), then sent with XMLHttpRequest, whose upload events report how much the relay has taken
// (fetch has no upload progress): the progress shown is encryption, then the upload itself. Pictures get a
// small JPEG thumbnail drawn here, sent inside the message. Downloads are checked and decrypted as a
// stream into a Blob, which exists only once every check passed.

import { encodeBase64Url } from "../../../protocol/encoding/base64url.ts";
import { MAX_THUMBNAIL_BYTES } from "../../../protocol/messenger/attachments-content.ts";
import {
	type AttachmentPointer,
	type AttachmentRelay,
	downloadAttachment,
	type FetchLike,
	uploadAttachment,
} from "../../../protocol/messenger/index.ts";

const MIME = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;
const THUMBNAIL_PIXELS = 160;
const BLOB_PART_BYTES = 4 * 1024 * 1024;

export function isPicture(contentType: string): boolean {
	return /^image\/(png|jpeg|gif|webp)$/i.test(contentType);
}

/** A ≤ 12 KB JPEG of at most 160 px a side, or undefined when the picture cannot be drawn. */
async function thumbnailOf(file: File): Promise<string | undefined> {
	if (!isPicture(file.type) || typeof createImageBitmap !== "function") return undefined;
	try {
		const bitmap = await createImageBitmap(file);
		const scale = Math.min(1, THUMBNAIL_PIXELS / Math.max(bitmap.width, bitmap.height));
		const canvas = new OffscreenCanvas(
			Math.max(1, Math.round(bitmap.width * scale)),
			Math.max(1, Math.round(bitmap.height * scale)),
		);
		canvas.getContext("2d")?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
		bitmap.close();
		const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.6 });
		if (blob.size > MAX_THUMBNAIL_BYTES) return undefined;
		return encodeBase64Url(new Uint8Array(await blob.arrayBuffer()));
	} catch {
		return undefined;
	}
}

/** Where a file being sent is: encrypted so far, then taken by the relay so far (bytes of the blob). */
export interface UploadProgress {
	readonly phase: "encrypting" | "uploading";
	readonly done: number;
	readonly total: number;
}

function responseHeaders(raw: string): Headers {
	const headers = new Headers();
	for (const line of raw.trim().split(/[\r\n]+/)) {
		const colon = line.indexOf(":");
		if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
	}
	return headers;
}

/** fetch for one Blob upload over XMLHttpRequest, reporting the bytes the relay has taken. */
function uploadingFetch(onUpload: (done: number, total: number) => void): FetchLike {
	return (input, init) =>
		new Promise<Response>((resolve, reject) => {
			const request = new XMLHttpRequest();
			request.open(init?.method ?? "GET", input);
			// The browser sets Content-Length from the Blob (scripts may not).
			new Headers(init?.headers).forEach((value, name) => {
				if (name !== "content-length") request.setRequestHeader(name, value);
			});
			request.responseType = "blob";
			request.upload.onprogress = (event) => {
				if (event.lengthComputable) onUpload(event.loaded, event.total);
			};
			request.onload = () =>
				resolve(
					new Response(request.status === 204 ? null : (request.response as Blob), {
						status: request.status,
						statusText: request.statusText,
						headers: responseHeaders(request.getAllResponseHeaders()),
					}),
				);
			request.onerror = () => reject(new TypeError("The upload failed (network error)."));
			request.onabort = () => reject(new TypeError("The upload was aborted."));
			request.send((init?.body ?? null) as XMLHttpRequestBodyInit | null);
		});
}

export async function uploadFile(
	relay: AttachmentRelay,
	file: File,
	onProgress: (progress: UploadProgress) => void,
): Promise<AttachmentPointer> {
	const thumbnail = await thumbnailOf(file);
	return uploadAttachment(
		{ ...relay, fetch: uploadingFetch((done, total) => onProgress({ phase: "uploading", done, total })) },
		file.stream(),
		{
			size: file.size,
			name: file.name,
			contentType: MIME.test(file.type) ? file.type.toLowerCase() : "application/octet-stream",
			buffered: true,
			onProgress: (done, total) => onProgress({ phase: "encrypting", done, total }),
			...(thumbnail !== undefined ? { thumbnail } : {}),
		},
	);
}

/** The checked, decrypted file as a Blob of its content type (rejects with the messenger's codes). */
export async function downloadFile(
	relay: AttachmentRelay,
	pointer: AttachmentPointer,
	onProgress: (done: number, total: number) => void,
): Promise<Blob> {
	const plaintext = await downloadAttachment(relay, pointer, { onProgress });
	// Read here, not with `new Response(plaintext).blob()`: that rejects with a bare TypeError, losing the
	// stream's own error (attachment_damaged and its sentence). Pieces are gathered into Blobs of a few MiB,
	// which the browser may keep out of the page's memory.
	const reader = plaintext.getReader();
	const parts: Blob[] = [];
	let batch: BlobPart[] = [];
	let batchBytes = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		// Typed for the DOM's BlobPart: the decrypted pieces live in ordinary (not shared) ArrayBuffers.
		batch.push(value as Uint8Array<ArrayBuffer>);
		batchBytes += value.length;
		if (batchBytes >= BLOB_PART_BYTES) {
			parts.push(new Blob(batch));
			batch = [];
			batchBytes = 0;
		}
	}
	parts.push(new Blob(batch));
	return new Blob(parts, { type: pointer.contentType });
}
