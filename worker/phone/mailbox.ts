// One phone's offline mailbox (docs/PROTOCOL.md §Mailbox). Entries stay until the owner acknowledges
// them by seq; messages are capped by count and bytes, and at the cap nothing stored is ever dropped:
// the new message is refused instead. Delivery receipts and "resume" notices are small entries that
// do not count against the cap. Everything expires after 30 days. A message id stays known for 30
// days after its ack, so a resend (same sender, same id) is stored once even after the original left.
//
// Removal after an ack is deferred: acknowledged entries leave the mailbox's view at once and are
// deleted with the object's next write (storing a message or a notice) or by `applyPendingRemovals`
// on a timer. Each write event costs a commit, and an ack needs none of its own: if the object is lost
// before the deletion lands, the entries are redelivered, which the protocol allows (at-least-once;
// clients drop a repeated id). Every method that reads or writes rows applies pending removals
// first, except `find`, which only reads and leaves them pending.
//
// Senders refused for a full mailbox are remembered (refused_senders) until there is room again, when
// each is owed a "resume" notice.
import { canonicalPhone, type E164, type ServerFrame } from "../../protocol/wire/index.ts";

export const MAILBOX_RETENTION_MS = 30 * 24 * 3_600_000;

export type EntryKind = "message" | "receipt" | "resume";

export interface MailboxLimits {
	maxMessages: number;
	maxBytes: number;
}

interface EntryRow {
	seq: number;
	kind: string;
	peer: string;
	message_id: string;
	body: string;
	size: number;
	at: number;
	[key: string]: SqlStorageValue;
}

/** A row as a frame needs it, its peer already checked (storedPhone). */
type FrameFields = Pick<EntryRow, "seq" | "kind" | "message_id" | "body" | "at"> & { peer: E164 };

export type StoreResult =
	| { stored: true; frame: ServerFrame }
	| { stored: false; duplicate: true }
	| { stored: false; full: true };

export interface FoundEntry {
	seq: number;
	kind: EntryKind;
	peer: E164;
	messageId: string;
	size: number;
}

export interface FoundEntries {
	found: FoundEntry[];
	unknown: number[];
}

/** Durable Objects' SQLite accepts at most 100 bound parameters per statement. */
const MAX_PARAMETERS = 100;

export class Mailbox {
	private usage: { messages: number; bytes: number } | null = null;
	private readonly pendingRemovals = new Map<number, FoundEntry & { forget?: boolean }>();
	/**
	 * Entries stored since the object woke and not yet acknowledged, so the usual ack (of something
	 * just pushed) needs no read. Coherent because this object is the only writer; bounded, and a
	 * seq missing from it is simply read from the table.
	 */
	private readonly recent = new Map<number, FoundEntry>();
	/** False once refused_senders was found empty; unknown (true) after a wake-up. Saves a statement per ack. */
	private mayHaveRefusedSenders = true;

	constructor(
		private readonly sql: SqlStorage,
		private readonly limits: MailboxLimits,
	) {}

	/** Messages held and their bytes; cached, since the object is the only writer. */
	messageUsage(): { messages: number; bytes: number } {
		if (!this.usage) {
			this.applyPendingRemovals(Date.now());
			const row = this.sql
				.exec<{ n: number; bytes: number | null }>(
					"SELECT count(*) AS n, sum(size) AS bytes FROM mailbox WHERE kind = 'message'",
				)
				.one();
			this.usage = { messages: row.n, bytes: row.bytes ?? 0 };
		}
		return this.usage;
	}

	/**
	 * Stores a message unless it is already here or was delivered (a resend): one statement in the
	 * common case, since this runs for every relayed message.
	 */
	storeMessage(from: E164, messageId: string, body: string, size: number, now: number): StoreResult {
		this.applyPendingRemovals(now);
		const usage = this.messageUsage();
		if (usage.messages + 1 > this.limits.maxMessages || usage.bytes + size > this.limits.maxBytes) {
			// At the cap a resend of something already stored or delivered is still answered as stored.
			if (this.findSeq("message", from, messageId) !== null || this.wasDelivered(from, messageId))
				return { stored: false, duplicate: true };
			return { stored: false, full: true };
		}
		const row = this.sql
			.exec<{ seq: number }>(
				`INSERT INTO mailbox (kind, peer, message_id, body, size, at, expires_at)
				SELECT 'message', ?, ?, ?, ?, ?, ?
				WHERE NOT EXISTS (SELECT 1 FROM delivered WHERE peer = ? AND message_id = ?)
				ON CONFLICT (kind, peer, message_id) DO NOTHING
				RETURNING seq`,
				from,
				messageId,
				body,
				size,
				now,
				now + MAILBOX_RETENTION_MS,
				from,
				messageId,
			)
			.toArray()[0];
		if (!row) return { stored: false, duplicate: true };
		usage.messages += 1;
		usage.bytes += size;
		this.remember({ seq: row.seq, kind: "message", peer: from, messageId, size });
		return {
			stored: true,
			frame: entryFrame({ seq: row.seq, kind: "message", peer: from, message_id: messageId, body, at: now }),
		};
	}

	/**
	 * Receipts and resume notices: exempt from the cap, stored once per (kind, peer, id). Returns the
	 * frame to push when it is new; a repeated notice is already pushed or waiting in the backlog.
	 */
	storeNotice(kind: "receipt" | "resume", peer: E164, messageId: string, now: number): ServerFrame | null {
		this.applyPendingRemovals(now);
		const row = this.sql
			.exec<{ seq: number }>(
				`INSERT INTO mailbox (kind, peer, message_id, body, size, at, expires_at) VALUES (?, ?, ?, '', 0, ?, ?)
				ON CONFLICT (kind, peer, message_id) DO NOTHING
				RETURNING seq`,
				kind,
				peer,
				messageId,
				now,
				now + MAILBOX_RETENTION_MS,
			)
			.toArray()[0];
		if (!row) return null;
		this.remember({ seq: row.seq, kind, peer, messageId, size: 0 });
		return entryFrame({ seq: row.seq, kind, peer, message_id: messageId, body: "", at: now });
	}

	/** Every entry in delivery order. */
	entries(): ServerFrame[] {
		this.applyPendingRemovals(Date.now());
		return this.sql
			.exec<EntryRow>("SELECT seq, kind, peer, message_id, body, size, at FROM mailbox ORDER BY seq")
			.toArray()
			.map((row) => entryFrame({ ...row, peer: storedPhone(row.peer) }));
	}

	/**
	 * The entries an ack names, read but not removed (a message's receipt goes out before it leaves).
	 * Seqs already acknowledged and awaiting deletion are neither found nor unknown.
	 */
	find(seqs: readonly number[]): FoundEntries {
		const result: FoundEntries = { found: [], unknown: [] };
		const wanted = [...new Set(seqs)].filter((seq) => !this.pendingRemovals.has(seq));
		const rows = new Map<number, EntryRow>();
		const unread = wanted.filter((seq) => !this.recent.has(seq));
		for (const chunk of chunks(unread, MAX_PARAMETERS)) {
			for (const row of this.sql.exec<EntryRow>(
				`SELECT seq, kind, peer, message_id, size FROM mailbox WHERE seq IN (${placeholders(chunk)})`,
				...chunk,
			))
				rows.set(row.seq, row);
		}
		for (const seq of wanted) {
			const known = this.recent.get(seq);
			if (known) {
				result.found.push(known);
				continue;
			}
			const row = rows.get(seq);
			if (!row) result.unknown.push(seq);
			else
				result.found.push({
					seq,
					kind: entryKind(row.kind),
					peer: storedPhone(row.peer),
					messageId: row.message_id,
					size: row.size,
				});
		}
		return result;
	}

	/**
	 * Takes acknowledged entries out of the mailbox's view and its usage now; the rows are deleted with
	 * the next write (see the header). A message's id is remembered then, so a resend is not delivered
	 * again (until then its row is still there and catches the resend).
	 */
	removeLater(entries: readonly FoundEntry[], options: { forget?: boolean } = {}): void {
		for (const entry of entries) {
			if (this.pendingRemovals.has(entry.seq)) continue;
			// A discarded message's id is not remembered: its sender may resend it under the same id.
			this.pendingRemovals.set(entry.seq, options.forget ? { ...entry, forget: true } : entry);
			this.recent.delete(entry.seq);
			if (entry.kind === "message" && this.usage) {
				this.usage.messages -= 1;
				this.usage.bytes -= entry.size;
			}
		}
	}

	hasPendingRemovals(): boolean {
		return this.pendingRemovals.size > 0;
	}

	/** Deletes the entries acknowledged since the last write. */
	applyPendingRemovals(now: number): void {
		const entries = [...this.pendingRemovals.values()];
		for (const chunk of chunks(entries, MAX_PARAMETERS)) {
			this.sql.exec(
				`DELETE FROM mailbox WHERE seq IN (${placeholders(chunk)})`,
				...chunk.map((entry) => entry.seq),
			);
		}
		const messages = entries.filter((entry) => entry.kind === "message" && !entry.forget);
		for (const chunk of chunks(messages, Math.floor(MAX_PARAMETERS / 3))) {
			this.sql.exec(
				`INSERT OR REPLACE INTO delivered (peer, message_id, expires_at) VALUES ${chunk.map(() => "(?, ?, ?)").join(", ")}`,
				...chunk.flatMap((entry) => [entry.peer, entry.messageId, now + MAILBOX_RETENTION_MS]),
			);
		}
		// Cleared only after every statement ran: a failure leaves them pending, to be tried again.
		this.pendingRemovals.clear();
	}

	/** Deletes entries (and remembered delivered ids) past retention; returns how many entries. */
	expire(now: number): number {
		this.applyPendingRemovals(now);
		this.recent.clear();
		this.sql.exec("DELETE FROM delivered WHERE expires_at <= ?", now);
		const removed = this.sql.exec("DELETE FROM mailbox WHERE expires_at <= ?", now).rowsWritten;
		if (removed > 0) this.usage = null;
		return removed;
	}

	nextExpiry(): number | null {
		return this.sql
			.exec<{ t: number | null }>(
				"SELECT min(t) AS t FROM (SELECT min(expires_at) AS t FROM mailbox UNION ALL SELECT min(expires_at) FROM delivered)",
			)
			.one().t;
	}

	/** Remembers a sender refused because the mailbox was full; it is owed a resume notice. */
	refuseSender(from: E164): void {
		this.sql.exec("INSERT OR IGNORE INTO refused_senders (phone) VALUES (?)", from);
		this.mayHaveRefusedSenders = true;
	}

	/** The refused senders, forgotten here, once there is room for a message again; else none. */
	releaseRefusedSenders(): E164[] {
		if (!this.mayHaveRefusedSenders) return [];
		const usage = this.messageUsage();
		if (usage.messages >= this.limits.maxMessages || usage.bytes >= this.limits.maxBytes) return [];
		const rows = this.sql.exec<{ phone: string }>("DELETE FROM refused_senders RETURNING phone").toArray();
		this.mayHaveRefusedSenders = false;
		return rows.map((row) => storedPhone(row.phone));
	}

	private remember(entry: FoundEntry): void {
		if (this.recent.size >= RECENT_LIMIT) this.recent.clear();
		this.recent.set(entry.seq, entry);
	}

	private wasDelivered(peer: E164, messageId: string): boolean {
		return (
			this.sql.exec("SELECT 1 FROM delivered WHERE peer = ? AND message_id = ?", peer, messageId).toArray()
				.length > 0
		);
	}

	private findSeq(kind: EntryKind, peer: E164, messageId: string): number | null {
		const row = this.sql
			.exec<{ seq: number }>(
				"SELECT seq FROM mailbox WHERE kind = ? AND peer = ? AND message_id = ?",
				kind,
				peer,
				messageId,
			)
			.toArray()[0];
		return row ? row.seq : null;
	}
}

function entryKind(kind: string): EntryKind {
	if (kind === "message" || kind === "receipt" || kind === "resume") return kind;
	throw new Error(`corrupt mailbox row kind ${kind}`);
}

/** Phones are stored canonical; anything else is a corrupt row (named without its digits). */
function storedPhone(text: string): E164 {
	const phone = canonicalPhone(text);
	if (phone === null) throw new Error("corrupt stored phone number");
	return phone;
}

/** Seqs remembered in memory at most; past that, acks read the table. */
const RECENT_LIMIT = 4096;

function chunks<T>(items: readonly T[], size: number): T[][] {
	const result: T[][] = [];
	for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
	return result;
}

function placeholders(items: readonly unknown[]): string {
	return items.map(() => "?").join(", ");
}

function entryFrame(row: FrameFields): ServerFrame {
	switch (entryKind(row.kind)) {
		case "message":
			return {
				type: "message",
				seq: row.seq,
				from: row.peer,
				id: row.message_id,
				body: row.body,
				sentAt: row.at,
			};
		case "receipt":
			return { type: "receipt", seq: row.seq, to: row.peer, id: row.message_id, deliveredAt: row.at };
		case "resume":
			return { type: "resume", seq: row.seq, to: row.peer };
	}
}
