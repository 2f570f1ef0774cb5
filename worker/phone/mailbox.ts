// One phone's offline mailbox (docs/PROTOCOL.md §Mailbox). Entries stay until the owner acknowledges
// them by seq; messages are capped by count and bytes, and at the cap nothing stored is ever dropped:
// the new message is refused instead. Delivery receipts and "resume" notices are small entries that
// do not count against the cap. Everything expires after 30 days. A message id stays known for 30
// days after its ack, so a resend (same sender, same id) is stored once even after the original left.
import type { ServerFrame } from "../../protocol/wire/index.ts";

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

export type StoreResult =
	| { stored: true; seq: number }
	| { stored: false; duplicateOf: number }
	| { stored: false; alreadyDelivered: true }
	| { stored: false; full: true };

export interface TakenEntries {
	taken: { kind: EntryKind; peer: string; messageId: string }[];
	unknown: number[];
}

export class Mailbox {
	private usage: { messages: number; bytes: number } | null = null;

	constructor(
		private readonly sql: SqlStorage,
		private readonly limits: MailboxLimits,
	) {}

	/** Messages held and their bytes; cached, since the object is the only writer. */
	messageUsage(): { messages: number; bytes: number } {
		if (!this.usage) {
			const row = this.sql
				.exec<{ n: number; bytes: number | null }>(
					"SELECT count(*) AS n, sum(size) AS bytes FROM mailbox WHERE kind = 'message'",
				)
				.one();
			this.usage = { messages: row.n, bytes: row.bytes ?? 0 };
		}
		return this.usage;
	}

	storeMessage(from: string, messageId: string, body: string, size: number, now: number): StoreResult {
		const existing = this.findSeq("message", from, messageId);
		if (existing !== null) return { stored: false, duplicateOf: existing };
		if (this.wasDelivered(from, messageId)) return { stored: false, alreadyDelivered: true };
		const usage = this.messageUsage();
		if (usage.messages + 1 > this.limits.maxMessages || usage.bytes + size > this.limits.maxBytes) {
			return { stored: false, full: true };
		}
		const seq = this.insert("message", from, messageId, body, size, now);
		usage.messages += 1;
		usage.bytes += size;
		return { stored: true, seq };
	}

	/** Receipts and resume notices: exempt from the cap, stored once per (kind, peer, id). */
	storeNotice(kind: "receipt" | "resume", peer: string, messageId: string, now: number): number {
		return this.findSeq(kind, peer, messageId) ?? this.insert(kind, peer, messageId, "", 0, now);
	}

	/** Every entry in delivery order. */
	entries(): ServerFrame[] {
		return this.sql
			.exec<EntryRow>("SELECT seq, kind, peer, message_id, body, size, at FROM mailbox ORDER BY seq")
			.toArray()
			.map(entryFrame);
	}

	entry(seq: number): ServerFrame | null {
		const row = this.sql
			.exec<EntryRow>("SELECT seq, kind, peer, message_id, body, size, at FROM mailbox WHERE seq = ?", seq)
			.toArray()[0];
		return row ? entryFrame(row) : null;
	}

	count(): number {
		return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM mailbox").one().n;
	}

	/** Removes acknowledged entries. Seqs that are not in this mailbox are reported, not fatal. */
	take(seqs: readonly number[], now: number): TakenEntries {
		const result: TakenEntries = { taken: [], unknown: [] };
		for (const seq of new Set(seqs)) {
			const row = this.sql
				.exec<EntryRow>(
					"DELETE FROM mailbox WHERE seq = ? RETURNING seq, kind, peer, message_id, body, size, at",
					seq,
				)
				.toArray()[0];
			if (!row) {
				result.unknown.push(seq);
				continue;
			}
			const kind = entryKind(row.kind);
			if (kind === "message") {
				this.sql.exec(
					"INSERT OR REPLACE INTO delivered (peer, message_id, expires_at) VALUES (?, ?, ?)",
					row.peer,
					row.message_id,
					now + MAILBOX_RETENTION_MS,
				);
				if (this.usage) {
					this.usage.messages -= 1;
					this.usage.bytes -= row.size;
				}
			}
			result.taken.push({ kind, peer: row.peer, messageId: row.message_id });
		}
		return result;
	}

	/** Deletes entries (and remembered delivered ids) past retention; returns how many entries. */
	expire(now: number): number {
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

	private wasDelivered(peer: string, messageId: string): boolean {
		return (
			this.sql.exec("SELECT 1 FROM delivered WHERE peer = ? AND message_id = ?", peer, messageId).toArray()
				.length > 0
		);
	}

	private findSeq(kind: EntryKind, peer: string, messageId: string): number | null {
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

	private insert(
		kind: EntryKind,
		peer: string,
		messageId: string,
		body: string,
		size: number,
		now: number,
	): number {
		return this.sql
			.exec<{ seq: number }>(
				"INSERT INTO mailbox (kind, peer, message_id, body, size, at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
				kind,
				peer,
				messageId,
				body,
				size,
				now,
				now + MAILBOX_RETENTION_MS,
			)
			.one().seq;
	}
}

function entryKind(kind: string): EntryKind {
	if (kind === "message" || kind === "receipt" || kind === "resume") return kind;
	throw new Error(`corrupt mailbox row kind ${kind}`);
}

function entryFrame(row: EntryRow): ServerFrame {
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
