// What the sender encrypts (docs/E2E-PROTOCOL.md §Content). The E2E layer authenticates it; it is still
// parsed with a schema, because an authenticated peer can send anything.
//
// Version 2 (written since issue 16): a one-line JSON header, a line feed, then the text as raw UTF-8:
//   {"v":2,"type":"text","at":1767225600000}\n<text>
// The text is not escaped, so its size is known: at most 3 bytes per UTF-16 code unit, 48,000 bytes for
// the 16,000-character limit, plus the header — every text within the limit fits the relay's envelope.
// (Version 1 put the text inside the JSON, where a control character escapes to six bytes: 16,000 of
// them were 96 KB, too large for the relay.) Version 1 is still read: it never contains a raw line feed
// (JSON escapes it), so the first line feed tells the versions apart.
//
// `at` is the sender's clock when the message was written (ms since epoch). It travels inside the
// encrypted, signed content, so it is what both sides show; the relay's `sentAt`, which nobody signs,
// is only the fallback for content without it (older senders).
import * as v from "valibot";
import { concatBytes, utf8 } from "../encoding/bytes.ts";
import { parseJson } from "../wire/index.ts";

/**
 * The one text limit, in characters as a browser's text box counts them (UTF-16 code units: an emoji
 * is usually two). Every text within it fits the relay's default 65,536-byte envelope.
 */
export const MAX_TEXT_CHARS = 16_000;

/** The most bytes encodeText produces for a text within MAX_TEXT_CHARS (3 bytes per code unit + header). */
export const MAX_CONTENT_BYTES = MAX_TEXT_CHARS * 3 + 64;

const SignedTime = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

const ContentV1 = v.object({
	v: v.literal(1),
	type: v.literal("text"),
	text: v.pipe(v.string(), v.maxLength(MAX_TEXT_CHARS)),
	at: v.optional(SignedTime),
});

const HeaderV2 = v.object({
	v: v.literal(2),
	type: v.literal("text"),
	at: v.optional(SignedTime),
});

const LINE_FEED = 0x0a;
const MAX_HEADER_CHARS = 200;

export interface TextContent {
	readonly text: string;
	/** The sender's signed time, when it sent one. */
	readonly at?: number;
}

export function encodeText(text: string, at: number): Uint8Array {
	return encodeHeaderAndText({ v: 2, type: "text", at }, text);
}

export function decodeText(plaintext: Uint8Array): TextContent | null {
	if (plaintext.indexOf(LINE_FEED) < 0) return decodeV1(plaintext);
	const decoded = decodeHeaderAndText(plaintext, HeaderV2, MAX_HEADER_CHARS);
	if (!decoded) return null;
	const { header, text } = decoded;
	return header.at === undefined ? { text } : { text, at: header.at };
}

/** Version 2's layout, shared by every content type: the header as one JSON line, then the text. */
export function encodeHeaderAndText(header: object, text: string): Uint8Array {
	return concatBytes(utf8(`${JSON.stringify(header)}\n`), utf8(text));
}

/**
 * Reads version 2's layout: the header line parsed with `schema`, the rest as strict UTF-8 of at most
 * MAX_TEXT_CHARS. Null when either part is not well formed.
 */
export function decodeHeaderAndText<const TSchema extends v.GenericSchema>(
	plaintext: Uint8Array,
	schema: TSchema,
	maxHeaderChars: number,
): { header: v.InferOutput<TSchema>; text: string } | null {
	const split = plaintext.indexOf(LINE_FEED);
	if (split < 0 || split > maxHeaderChars) return null;
	const header = parseJson(schema, new TextDecoder().decode(plaintext.subarray(0, split)), maxHeaderChars);
	if (!header.ok) return null;
	let text: string;
	try {
		text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(plaintext.subarray(split + 1));
	} catch {
		return null;
	}
	if (text.length > MAX_TEXT_CHARS) return null;
	return { header: header.value, text };
}

function decodeV1(plaintext: Uint8Array): TextContent | null {
	const parsed = parseJson(ContentV1, new TextDecoder().decode(plaintext), MAX_TEXT_CHARS * 6 + 100);
	if (!parsed.ok) return null;
	return parsed.value.at === undefined
		? { text: parsed.value.text }
		: { text: parsed.value.text, at: parsed.value.at };
}
