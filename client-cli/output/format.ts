// Human-readable text for what the CLI shows: messages, send outcomes, safety numbers, contacts and
// key-change warnings. Pure functions of their input (plus the Style), shared by the one-shot commands
// and the interactive prompt; the JSON shapes live next to them (json*) so both modes say the same.
// A contact the user named (ContactRecord.name, local only) is shown by that name wherever a number
// would be; `contacts`, `verify` and key-change warnings show the number too.
import type { ContactRecord, HistoryEntry } from "../../protocol/messenger/index.ts";
import type { IdentityChangeEvent, SafetyNumber } from "../../protocol/session/index.ts";
import type { Style } from "./style.ts";

export function clock(at: number): string {
	const date = new Date(at);
	return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}

/** The user's names for contacts, by phone (ContactRecord.name). */
export type Names = ReadonlyMap<string, string>;

/** How a contact is shown in running text: the user's name for them, else the number. */
export function label(phone: string, names?: Names): string {
	const name = names?.get(phone);
	return name === undefined ? phone : printable(name);
}

/** The name and the number ("Bob (+15555550102)"), for lists and details. */
export function labelWithNumber(phone: string, names?: Names): string {
	const name = names?.get(phone);
	return name === undefined ? phone : `${printable(name)} (${phone})`;
}

export function namesOf(contacts: readonly ContactRecord[]): Map<string, string> {
	const names = new Map<string, string>();
	for (const contact of contacts) if (contact.name !== undefined) names.set(contact.phone, contact.name);
	return names;
}

/** "Tuesday, 1 December 2026": the date separator in a history. */
export function dayHeading(at: number): string {
	const date = new Date(at);
	const weekday = date.toLocaleDateString("en-GB", { weekday: "long" });
	const month = date.toLocaleDateString("en-GB", { month: "long" });
	return `${weekday}, ${date.getDate()} ${month} ${date.getFullYear()}`;
}

function dayKey(at: number): string {
	const date = new Date(at);
	return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

function dayAndClock(at: number): string {
	const date = new Date(at);
	const day = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
	return `${day} ${clock(at)}`;
}

/** Control characters from a peer must not drive the user's terminal (escape sequences). */
export function printable(text: string): string {
	// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point.
	return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "\ufffd");
}

export function incomingMessage(entry: HistoryEntry, style: Style, names?: Names): string {
	const file = entry.attachment
		? `${style.bold(`[file: ${printable(entry.attachment.name)}, ${fileSize(entry.attachment.size)}]`)}${entry.text === "" ? "" : " "}`
		: "";
	return `${style.dim(`[${clock(entry.at)}]`)} ${style.cyan(style.bold(label(entry.peer, names)))}: ${file}${printable(entry.text)}`;
}

/** A file size for people: bytes, KB or MB (decimal, as file managers show them). */
export function fileSize(bytes: number): string {
	if (bytes < 1000) return `${bytes} bytes`;
	if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
	return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** The attachment's description in --json events (never its key). */
export function attachmentJson(entry: HistoryEntry): object {
	if (!entry.attachment) return {};
	const { id, name, size, contentType } = entry.attachment;
	return { attachment: { id, name, size, contentType } };
}

const STATUS_WORDS: Record<HistoryEntry["status"], string> = {
	sending: "sending…",
	sent: "sent (they are online)",
	queued: "queued (they are offline; delivered when they connect)",
	delivered: "delivered (their device confirmed it)",
	failed: "not sent",
	received: "received",
};

/** What happened to a sent message; `text` (the message, shortened) says which one when several are in flight. */
export function statusLine(
	peer: string,
	status: HistoryEntry["status"],
	style: Style,
	error?: { code?: string; message: string },
	text?: string,
): string {
	const which = text === undefined ? "" : style.dim(` · "${shorten(printable(text), 40)}"`);
	if (status === "failed") {
		// not_delivered: it reached their app, which said (signed) it could not show it.
		const what = error?.code === "not_delivered" ? "✗ not delivered" : "✗ not sent";
		return `${style.red(what)} to ${peer}${error ? `: ${error.message}` : ""}${which}`;
	}
	const mark = status === "delivered" ? "✓✓" : status === "sent" || status === "queued" ? "✓" : "…";
	return `${style.green(mark)} ${STATUS_WORDS[status]} — ${peer}${which}`;
}

function shorten(text: string, max: number): string {
	const line = text.replace(/\s+/g, " ");
	return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** One history line: the time, who, the text and (ours) its status; a system entry is marked `·`. */
export function historyLine(entry: HistoryEntry, style: Style, names?: Names): string {
	if (entry.direction === "system") {
		const text = printable(entry.text);
		const marked = entry.system?.event === "safety_number_changed" ? style.red(text) : style.yellow(text);
		return `${style.dim(clock(entry.at))} · ${marked}`;
	}
	const who = entry.direction === "in" ? style.cyan(label(entry.peer, names)) : style.green("you");
	const status =
		entry.direction !== "out"
			? ""
			: entry.error?.code === "not_delivered"
				? style.dim(` (not delivered: ${entry.error.message.replace(/^Not delivered: /, "")})`)
				: style.dim(` (${entry.status === "sending" ? "sending…" : entry.status})`);
	return `${style.dim(clock(entry.at))} ${who}: ${printable(entry.text)}${status}`;
}

/** A history with a date separator before each day's first entry ("── Tuesday, 1 December 2026 ──"). */
export function historyLines(entries: readonly HistoryEntry[], style: Style, names?: Names): string[] {
	const lines: string[] = [];
	let day: string | undefined;
	for (const entry of entries) {
		const key = dayKey(entry.at);
		if (key !== day) {
			day = key;
			lines.push(style.dim(`── ${dayHeading(entry.at)} ──`));
		}
		lines.push(historyLine(entry, style, names));
	}
	return lines;
}

/** The 60 digits as 12 groups of 5, in three rows of four, as both users see them. */
export function safetyNumberBlock(number: SafetyNumber): string[] {
	const rows: string[] = [];
	for (let row = 0; row < number.groups.length; row += 4) {
		rows.push(`    ${number.groups.slice(row, row + 4).join(" ")}`);
	}
	return rows;
}

/** The short form shown when a chat opens: the first groups, enough to notice a change at a glance. */
export function safetyNumberShort(number: SafetyNumber): string {
	return `${number.groups.slice(0, 3).join(" ")} …`;
}

export function contactLine(contact: ContactRecord, verified: boolean | undefined, style: Style): string {
	const flags: string[] = [];
	if (contact.pendingIdentityChange) flags.push(style.red("SAFETY NUMBER CHANGED"));
	else if (verified) flags.push(style.green("verified"));
	if (contact.unread > 0) flags.push(style.yellow(`${contact.unread} unread`));
	const last = contact.lastText ? ` — ${printable(contact.lastText).slice(0, 50)}` : "";
	const when = contact.lastAt ? style.dim(` ${dayAndClock(contact.lastAt)}`) : "";
	const mark = verified && !contact.pendingIdentityChange ? `${style.green("✓")} ` : "";
	const who = contact.name === undefined ? contact.phone : `${printable(contact.name)} (${contact.phone})`;
	return `${mark}${style.bold(who)}${flags.length > 0 ? ` [${flags.join(", ")}]` : ""}${when}${last}`;
}

export function keyChangedHeadline(phone: string, style: Style, names?: Names): string {
	return `${style.red(style.bold("!!!"))} ${style.red(style.bold(`SAFETY NUMBER CHANGED for ${labelWithNumber(phone, names)}`))}`;
}

export function identityChangeWarning(change: IdentityChangeEvent, style: Style, names?: Names): string[] {
	const bar = style.red(style.bold("!!!"));
	return [
		keyChangedHeadline(change.phone, style, names),
		`${bar} Their identity key is not the one you trusted${change.previouslyVerified ? " (you had verified it)" : ""}: a new phone or a reinstall — or someone in the middle.`,
		`${bar} Sending to them is blocked and messages signed by the new key are held. Compare safety numbers in person`,
		`${bar} or by call, then accept the new key: friendly verify ${change.phone} --accept`,
		`${bar} If you did not expect a change, reject it: friendly verify ${change.phone} --reject`,
	];
}

// ── JSON shapes ──────────────────────────────────────────────────────────────────────────────

export function messageJson(entry: HistoryEntry, names?: Names): object {
	const name = names?.get(entry.peer);
	return {
		type: "message",
		from: entry.peer,
		...(name === undefined ? {} : { name }),
		id: entry.id,
		text: entry.text,
		sentAt: entry.at,
		...attachmentJson(entry),
	};
}

export function entryJson(entry: HistoryEntry): object {
	return {
		peer: entry.peer,
		id: entry.id,
		direction: entry.direction,
		text: entry.text,
		at: entry.at,
		status: entry.status,
		...(entry.error ? { error: entry.error } : {}),
		...(entry.system ? { system: entry.system } : {}),
		...attachmentJson(entry),
	};
}

export function identityChangeJson(change: IdentityChangeEvent): object {
	return { type: "identity_changed", phone: change.phone, previouslyVerified: change.previouslyVerified };
}

export function safetyNumberJson(number: SafetyNumber): object {
	return { digits: number.digits, groups: number.groups };
}
