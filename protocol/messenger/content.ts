// What the sender encrypts: a small versioned JSON document. The E2E layer authenticates it; it is
// still parsed with a schema, because an authenticated peer can send anything.
import * as v from "valibot";
import { utf8 } from "../encoding/bytes.ts";
import { parseJson } from "../wire/index.ts";

export const MAX_TEXT_CHARS = 16_000;

const Content = v.object({
	v: v.literal(1),
	type: v.literal("text"),
	text: v.pipe(v.string(), v.maxLength(MAX_TEXT_CHARS)),
});

export function encodeText(text: string): Uint8Array {
	return utf8(JSON.stringify({ v: 1, type: "text", text }));
}

export function decodeText(plaintext: Uint8Array): string | null {
	const parsed = parseJson(Content, new TextDecoder().decode(plaintext), MAX_TEXT_CHARS * 6 + 100);
	return parsed.ok ? parsed.value.text : null;
}
