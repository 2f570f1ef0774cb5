// The attachment content type (docs/PROTOCOL.md §Attachments), next to text in content version 2
// (content.ts): what the receiver needs to fetch, check and decrypt a blob travels only inside the
// end-to-end message — the blob's 32-byte Cobblestone-256 key, the SHA-256 of its ciphertext, the file's
// size, content type and name, and for pictures a small thumbnail — with an optional caption as the text:
//
//   {"v":2,"type":"attachment","at":…,"attachment":{"id":…,"key":…,"digest":…,"size":…,…}}\n<caption>
//
// An authenticated peer can still send anything, so it is parsed with a schema and the file name is
// sanitised again on receipt (sanitiseFileName): never a path, never a control character.
import * as v from "valibot";
import { AttachmentId, base64UrlBytes } from "../wire/index.ts";
import { decodeHeaderAndText, encodeHeaderAndText } from "./content.ts";

/** A thumbnail is a small picture (at most 12 KB, about 160 px JPEG), inline in the message. */
export const MAX_THUMBNAIL_BYTES = 12 * 1024;
export const MAX_FILE_NAME_CHARS = 200;
const MAX_CONTENT_TYPE_CHARS = 127;
const MAX_HEADER_CHARS = 20_000;

const Size = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

export const AttachmentPointer = v.object({
	/** The relay's blob id (128 random bits). */
	id: AttachmentId,
	/** The Cobblestone-256 input key. */
	key: base64UrlBytes(32, "attachment key"),
	/** SHA-256 of the whole ciphertext as uploaded. */
	digest: base64UrlBytes(32, "attachment digest"),
	/** The file's size in bytes (the blob is padded and longer). */
	size: Size,
	/** The ciphertext's size in bytes: what the relay stores and the receiver downloads. */
	blobSize: Size,
	contentType: v.pipe(
		v.string(),
		v.maxLength(MAX_CONTENT_TYPE_CHARS),
		v.regex(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i, "a MIME type such as image/png"),
	),
	name: v.pipe(v.string(), v.maxLength(MAX_FILE_NAME_CHARS * 2)),
	/** A small JPEG/PNG/WebP preview of a picture, base64url. */
	thumbnail: v.optional(
		v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]*$/), v.maxLength(MAX_THUMBNAIL_BYTES * 2)),
	),
});
export type AttachmentPointer = v.InferOutput<typeof AttachmentPointer>;

const AttachmentHeader = v.object({
	v: v.literal(2),
	type: v.literal("attachment"),
	at: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))),
	attachment: AttachmentPointer,
});

export interface AttachmentContent {
	readonly attachment: AttachmentPointer;
	/** The caption ("" when none). */
	readonly text: string;
	readonly at?: number;
}

export function encodeAttachmentContent(
	attachment: AttachmentPointer,
	caption: string,
	at: number,
): Uint8Array {
	return encodeHeaderAndText({ v: 2, type: "attachment", at, attachment }, caption);
}

/** The attachment in `plaintext`, or null when it is not attachment content (or not well formed). */
export function decodeAttachmentContent(plaintext: Uint8Array): AttachmentContent | null {
	const decoded = decodeHeaderAndText(plaintext, AttachmentHeader, MAX_HEADER_CHARS);
	if (!decoded) return null;
	const { header, text } = decoded;
	const attachment = { ...header.attachment, name: sanitiseFileName(header.attachment.name) };
	return header.at === undefined ? { attachment, text } : { attachment, text, at: header.at };
}

// Control characters (C0, C1, DEL) and format characters, which make a name read differently from what it
// is (bidirectional overrides and isolates, zero-width characters, the BOM).
const UNSAFE_CHARS = /[\p{Cc}\p{Cf}]/gu;
const RESERVED_CHARS = /[<>:"|?*\\/]/g;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * A file name safe to create in a directory on any system: only its last path component, no control or
 * direction-changing characters, no characters Windows reserves, not `.`/`..`, not a device name, not
 * hidden (no leading dot), at most MAX_FILE_NAME_CHARS characters with its extension kept. Never empty.
 */
export function sanitiseFileName(name: string): string {
	const last = name.split(/[/\\]/).pop() ?? "";
	let clean = last.replace(UNSAFE_CHARS, "").replace(RESERVED_CHARS, "_").normalize("NFC");
	clean = clean.replace(/^[.\s]+/, "").replace(/[.\s]+$/, "");
	if (WINDOWS_DEVICE.test(clean)) clean = `_${clean}`;
	if (clean.length > MAX_FILE_NAME_CHARS) {
		const dot = clean.lastIndexOf(".");
		const extension = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : "";
		clean = clean.slice(0, MAX_FILE_NAME_CHARS - extension.length) + extension;
	}
	return clean === "" ? "file" : clean;
}
