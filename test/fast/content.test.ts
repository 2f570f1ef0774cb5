// The text content (protocol/messenger/content.ts, docs/E2E-PROTOCOL.md §Content): version 2 is a JSON
// header line and the raw UTF-8 text, so a 16,000-character text of any kind stays within the
// 48,200-byte content budget; version 1 (the text inside JSON) is still read; malformed content is null.
// End to end through the real relay: test/integration/messenger-limit.test.ts.
import { describe, expect, it } from "vitest";
import { utf8 } from "../../protocol/encoding/bytes.ts";
import {
	decodeText,
	encodeText,
	MAX_CONTENT_BYTES,
	MAX_TEXT_CHARS,
} from "../../protocol/messenger/content.ts";

const AT = 1_767_225_600_000;
const BUDGET = 48_200;

const WORST: Record<string, string> = {
	"control characters": "\u0001".repeat(MAX_TEXT_CHARS),
	quotes: '"'.repeat(MAX_TEXT_CHARS),
	"3-byte characters": "語".repeat(MAX_TEXT_CHARS),
	emoji: "🦊".repeat(MAX_TEXT_CHARS / 2),
	"line feeds": "\n".repeat(MAX_TEXT_CHARS),
	"lone surrogates": "\uD800".repeat(MAX_TEXT_CHARS),
};

describe("text content", () => {
	it.each(Object.entries(WORST))("16,000 characters of %s encode within the budget", (_kind, text) => {
		const bytes = encodeText(text, Number.MAX_SAFE_INTEGER);
		expect(bytes.length).toBeLessThanOrEqual(MAX_CONTENT_BYTES);
		expect(MAX_CONTENT_BYTES).toBeLessThanOrEqual(BUDGET);
		const decoded = decodeText(bytes);
		// A lone surrogate cannot be UTF-8; it arrives as U+FFFD, one character for one.
		expect(decoded?.text).toBe(text.replaceAll("\uD800", "\uFFFD"));
		expect(decoded?.at).toBe(Number.MAX_SAFE_INTEGER);
	});

	it("round-trips text with line feeds, a leading byte-order mark and an empty header time", () => {
		for (const text of ["a\nb\n", "\uFEFFbom first", '{"v":1}\n', "plain"]) {
			expect(decodeText(encodeText(text, AT))).toEqual({ text, at: AT });
		}
		expect(decodeText(utf8('{"v":2,"type":"text"}\nno time'))).toEqual({ text: "no time" });
	});

	it("still reads version 1 (the text inside JSON), with or without a time", () => {
		const old = (doc: object) => utf8(JSON.stringify(doc));
		expect(decodeText(old({ v: 1, type: "text", text: "old\nstyle", at: AT }))).toEqual({
			text: "old\nstyle",
			at: AT,
		});
		expect(decodeText(old({ v: 1, type: "text", text: "older" }))).toEqual({ text: "older" });
	});

	it("rejects what is not text content: unknown versions and types, bad UTF-8, oversized text or header", () => {
		const bad = [
			utf8('{"v":3,"type":"text"}\nfuture'),
			utf8('{"v":2,"type":"image"}\nx'),
			utf8('{"v":2,"type":"text","at":-1}\nx'),
			utf8("not json\nx"),
			new Uint8Array([...utf8('{"v":2,"type":"text"}\n'), 0xff, 0xfe]),
			utf8(`{"v":2,"type":"text"}\n${"x".repeat(MAX_TEXT_CHARS + 1)}`),
			utf8(`{"v":2,"type":"text","pad":"${" ".repeat(300)}"}\nx`),
			utf8(JSON.stringify({ v: 1, type: "text", text: "x".repeat(MAX_TEXT_CHARS + 1) })),
			utf8("{}"),
		];
		for (const content of bad) expect(decodeText(content)).toBeNull();
	});
});
