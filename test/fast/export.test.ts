// The readable export of one conversation (protocol/messenger/export.ts): JSON and text, both starting
// with the warning that they are not encrypted, with names, statuses, system lines and multi-line text.
// With the real CLI: test/cli/backup.test.ts; in the browser: test/web/your-data.test.ts.
import { describe, expect, it } from "vitest";
import { EXPORT_WARNING, exportConversation } from "../../protocol/messenger/export.ts";
import type { HistoryEntry } from "../../protocol/messenger/index.ts";

const ME = "+15555550100";
const ANA = "+15555550101";
const AT = Date.UTC(2026, 0, 2, 9, 30);

const entries: HistoryEntry[] = [
	{ v: 1, peer: ANA, id: "a", direction: "in", text: "hi\nthere", at: AT, status: "received" },
	{ v: 1, peer: ANA, id: "b", direction: "out", text: "hello", at: AT + 60_000, status: "delivered" },
	{
		v: 1,
		peer: ANA,
		id: "c",
		direction: "out",
		text: "lost",
		at: AT + 120_000,
		status: "failed",
		error: { code: "mailbox_full", message: "Mailbox full." },
	},
	{
		v: 1,
		peer: ANA,
		id: "sys-1",
		direction: "system",
		text: "You marked the safety number as verified.",
		at: AT + 180_000,
		status: "received",
		system: { event: "verified" },
	},
];

describe("conversation export", () => {
	it("text: the warning first, then one line per entry in UTC with names and statuses", () => {
		const text = exportConversation({ me: ME, peer: ANA, name: "Ana", entries, now: AT + 1e6 }, "text");
		const lines = text.split("\n");
		expect(lines[0]).toBe(`# ${EXPORT_WARNING}`);
		expect(lines[1]).toContain(`${ME} (you) and Ana (${ANA})`);
		expect(lines.slice(3, 8)).toEqual([
			"[2026-01-02 09:30] Ana: hi",
			"    there",
			"[2026-01-02 09:31] You: hello",
			"[2026-01-02 09:32] You: lost [failed]",
			"[2026-01-02 09:33] ·: You marked the safety number as verified.",
		]);
	});

	it("json: the warning, both numbers, and every entry with its sender, time and status", () => {
		const json: unknown = JSON.parse(exportConversation({ me: ME, peer: ANA, entries, now: AT }, "json"));
		expect(json).toMatchObject({
			kind: "friendly.export",
			warning: EXPORT_WARNING,
			me: ME,
			peer: ANA,
			messages: [
				{ id: "a", from: ANA, at: "2026-01-02T09:30:00.000Z", text: "hi\nthere", status: "received" },
				{ id: "b", from: ME, status: "delivered" },
				{ id: "c", from: ME, status: "failed", error: "Mailbox full." },
				{ id: "sys-1", from: null, system: "verified" },
			],
		});
		expect(json).not.toHaveProperty("name");
	});
});
