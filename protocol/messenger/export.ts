// A readable export of one conversation, for the user's own records (docs/CLI.md §export, docs/WEB.md):
// JSON or plain text, in the clear. Both start with a warning that the file is not encrypted. Times
// are UTC (ISO 8601), so an export reads the same wherever it is opened; the clock is the caller's.
import type { HistoryEntry } from "./stores.ts";

export const EXPORT_FORMATS = ["json", "text"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_WARNING =
	"This file is NOT encrypted: anyone who can read it can read this conversation. Keep it somewhere safe, or delete it when done.";

export interface ExportInput {
	readonly me: string;
	readonly peer: string;
	/** Your local name for the contact, if any. */
	readonly name?: string;
	readonly entries: readonly HistoryEntry[];
	readonly now: number;
}

export function exportConversation(input: ExportInput, format: ExportFormat): string {
	return format === "json" ? exportJson(input) : exportText(input);
}

function exportJson({ me, peer, name, entries, now }: ExportInput): string {
	const document = {
		kind: "friendly.export",
		v: 1,
		warning: EXPORT_WARNING,
		exportedAt: new Date(now).toISOString(),
		me,
		peer,
		...(name !== undefined ? { name } : {}),
		messages: entries.map((entry) => ({
			id: entry.id,
			at: new Date(entry.at).toISOString(),
			direction: entry.direction,
			from: entry.direction === "in" ? peer : entry.direction === "out" ? me : null,
			text: entry.text,
			status: entry.status,
			...(entry.error ? { error: entry.error.message } : {}),
			...(entry.system ? { system: entry.system.event } : {}),
		})),
	};
	return `${JSON.stringify(document, null, 2)}\n`;
}

function exportText({ me, peer, name, entries, now }: ExportInput): string {
	const them = name === undefined ? peer : `${name} (${peer})`;
	const lines = [
		`# ${EXPORT_WARNING}`,
		`# FriendLy conversation between ${me} (you) and ${them}, exported ${new Date(now).toISOString()}; times in UTC.`,
		"",
	];
	for (const entry of entries) {
		const time = new Date(entry.at).toISOString().slice(0, 16).replace("T", " ");
		const who = entry.direction === "in" ? (name ?? peer) : entry.direction === "out" ? "You" : "·";
		const status = entry.direction === "out" && entry.status !== "delivered" ? ` [${entry.status}]` : "";
		// One line per entry: line breaks inside a message are kept, indented under it.
		lines.push(`[${time}] ${who}: ${entry.text.replace(/\r?\n/g, "\n    ")}${status}`);
	}
	return `${lines.join("\n")}\n`;
}
