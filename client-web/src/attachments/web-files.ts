// Files in the browser (docs/WEB.md §Files): a picked or dropped File is encrypted and uploaded through the
// shared messenger code (protocol/messenger/attachments-transfer.ts); the ciphertext is collected in a Blob
// first (Chromium streams request bodies only over HTTP/2, and a Blob this size lives on disk, not in the
// page's memory). Pictures get a small JPEG thumbnail drawn here, sent inside the message. Downloads are
// checked and decrypted as a stream into a Blob, which exists only once every check passed.

import { encodeBase64Url } from "../../../protocol/encoding/base64url.ts";
import { MAX_THUMBNAIL_BYTES } from "../../../protocol/messenger/attachments-content.ts";
import {
	type AttachmentPointer,
	type AttachmentRelay,
	downloadAttachment,
	uploadAttachment,
} from "../../../protocol/messenger/index.ts";

const MIME = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;
const THUMBNAIL_PIXELS = 160;

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

export async function uploadFile(
	relay: AttachmentRelay,
	file: File,
	onProgress: (done: number, total: number) => void,
): Promise<AttachmentPointer> {
	const thumbnail = await thumbnailOf(file);
	return uploadAttachment(relay, file.stream(), {
		size: file.size,
		name: file.name,
		contentType: MIME.test(file.type) ? file.type.toLowerCase() : "application/octet-stream",
		buffered: true,
		onProgress,
		...(thumbnail !== undefined ? { thumbnail } : {}),
	});
}

/** The checked, decrypted file as a Blob of its content type (rejects with the messenger's codes). */
export async function downloadFile(
	relay: AttachmentRelay,
	pointer: AttachmentPointer,
	onProgress: (done: number, total: number) => void,
): Promise<Blob> {
	const plaintext = await downloadAttachment(relay, pointer, { onProgress });
	const blob = await new Response(plaintext).blob();
	return new Blob([blob], { type: pointer.contentType });
}
