// What the sender encrypts: a small versioned JSON document. The E2E layer authenticates it; it is
// still parsed with a schema, because an authenticated peer can send anything.
//
// `at` is the sender's clock when the message was written (ms since epoch). It travels inside the
// encrypted, signed content, so it is what both sides show; the relay's `sentAt`, which nobody signs,
// is only the fallback for content without it (older senders).
import * as v from "valibot";
import { utf8 } from "../encoding/bytes.ts";
import { parseJson } from "../wire/index.ts";

export const MAX_TEXT_CHARS = 16_000;

const Content = v.object({
	v: v.literal(1),
	type: v.literal("text"),
	text: v.pipe(v.string(), v.maxLength(MAX_TEXT_CHARS)),
	at: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))),
});

export interface TextContent {
	readonly text: string;
	/** The sender's signed time, when it sent one. */
	readonly at?: number;
}

export function encodeText(text: string, at: number): Uint8Array {
	return utf8(JSON.stringify({ v: 1, type: "text", text, at }));
}

export function decodeText(plaintext: Uint8Array): TextContent | null {
	const parsed = parseJson(Content, new TextDecoder().decode(plaintext), MAX_TEXT_CHARS * 6 + 100);
	if (!parsed.ok) return null;
	return parsed.value.at === undefined
		? { text: parsed.value.text }
		: { text: parsed.value.text, at: parsed.value.at };
}
