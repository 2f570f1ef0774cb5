// One phone's offline mailbox (docs/PROTOCOL.md §Mailbox). Entries stay until the owner acknowledges
// them by seq; messages are capped by count and bytes, and at the cap nothing stored is ever dropped:
// the new message is refused instead. Delivery receipts and "resume" notices are small entries that
// do not count against the cap. Everything expires after 30 days. A resend (same sender, same id) of
// a message still here is stored once; after the ack its id is not remembered (no `delivered` row
// since 2026-12-01: two rows written per message, its insert and its expiry): a late resend, which
// only follows a send its client never saw answered, is delivered again and dropped by the
// recipient's client, which remembers the ids it received (docs/PROTOCOL.md §Mailbox rules). Rows
// an older version wrote to `delivered` are only expired.
//
// Removal after an ack is deferred: acknowledged entries leave the mailbox's view at once and are
// deleted with the object's next write (storing a message or a notice) or by `applyPendingRemovals`
// on a timer. Each write event costs a commit, and an ack needs none of its own: if the object is lost
// before the deletion lands, the entries are redelivered, which the protocol allows (at-least-once;
// clients drop a repeated id). Every method that reads or writes rows applies pending removals
// first, except `find`, which only reads and leaves them pending.
//
// Each entry is one row written (docs/PERFORMANCE.md §Cost model): no AUTOINCREMENT counter row (see
// "Seqs" below), and the (kind, peer, id) index that makes a repeated message or notice land once is
// kept in memory (loaded with the usage once per wake-up: the object is the only writer) rather than
// as a second row per entry.
//
// Seqs. A seq is never handed out twice, whatever the timing: a client may ack a seq late (after a
// reconnect, or to an object woken again), and a reused seq would let that ack delete a newer entry.
// The invariant is that every seq ever handed out is below the persisted high-water (`mailbox_seq`)
// or still held by a row of the table, and a new instance starts above both. It is kept with few
// writes: a connection reserves a block of SEQ_BLOCK seqs at its hello (one row: the high-water moves
// past the block), and every entry pushed or stored while it is connected takes the next seq of that
// block, whose cursor lives in the socket's attachment, so an object woken from hibernation goes on
// where its predecessor stopped and writes nothing. An entry stored with no connection takes a seq at
// or above the high-water; its row records it, and when a removal (ack, discard, expiry) deletes the
// table's highest such row, the high-water moves past it in the same commit (one row per time the
// mailbox is emptied, not per entry). The clock only makes seqs rise with time: 1,024 × the clock, and
// a second ahead of it for the first seq of an object whose table has no high-water yet (objects from
// before the high-water, whose seqs came from that rule alone).
//
// An entry for a connected owner is _held_ instead (holdMessage, holdNotice): pushed under a seq with
// no row, and written (storeHeld, under the same seq) only if the owner has not acknowledged it in
// time. The caller keeps the entry's source waiting meanwhile, so until it is acknowledged or stored it
// is still owed by whoever sent it: a message's sender has not been answered `sent` (its client
// resends the same id if this object is lost), and a notice's sending object waits in its
// acceptNotices call. So no row is written for an entry the owner's client takes at once, and none is
// lost if this object is lost first. The one exception is the receipt of a live message, which came
// in a deliver call's answer and is held by this object alone (phone-object.ts receiptFromAnswer).
//
// Senders refused for a full mailbox are remembered (refused_senders) until there is room again, when
// each is owed a "resume" notice.
import { canonicalPhone, type E164, type ServerFrame } from "../../protocol/wire/index.ts";
import {
	BatchAcks,
	type BatchedReceipt,
	type BatchPlace,
	decodeReceiptBatch,
	encodeReceiptBatch,
	RECEIPT_BATCH_KIND,
} from "./receipt-batch.ts";
import type { SeqCursor } from "./socket-attachment.ts";

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
	/** A receipt stored in a batch row (receipt-batch.ts): the row's seq and span. */
	batch?: BatchPlace;
}

export interface FoundEntries {
	found: FoundEntry[];
	unknown: number[];
}

interface HeldEntry {
	entry: FoundEntry;
	hold: Hold;
	/** A message's envelope (written with it if it is stored); "" for notices. */
	body: string;
	at: number;
	settle: (state: "acked" | "stored" | "discarded") => void;
}

/** An entry pushed without a row: its seq, the frame, and whether its owner acknowledged it in time. */
export interface Hold {
	seq: number;
	frame: ServerFrame;
	/** Set synchronously when the hold ends, so a caller never misses an ack that has landed. */
	readonly state: "held" | "acked" | "stored" | "discarded";
	/** True once acknowledged; false once written instead (storeHeld) or discarded. */
	acked: Promise<boolean>;
}

export type HoldResult =
	| { held: Hold }
	/** Already here: `hold` is the earlier hold while that one is still held. */
	| { duplicate: true; hold?: Hold }
	| { full: true };

/** Where a connection's seqs come from: its block's cursor (null: none reserved yet) and how to keep it. */
export interface SeqSource {
	cursor: SeqCursor | null;
	save: (cursor: SeqCursor) => void;
}

/** Durable Objects' SQLite accepts at most 100 bound parameters per statement. */
const MAX_PARAMETERS = 100;

export class Mailbox {
	private usage: { messages: number; bytes: number } | null = null;
	/** (kind, peer, id) of every row still in the table → its seq; loaded with the usage. */
	private keys: Map<string, number> | null = null;
	/** The last seq handed out since the object woke (0: none yet). */
	private lastSeq = 0;
	/** The highest seq in the table, as of the load and this object's own inserts since. */
	private storedMax = 0;
	/** The persisted high-water (see the header); null until read once after the wake-up. */
	private highWater: number | null = null;
	/** The connected owner's seq block; null with no connection (seqs then come from the high-water). */
	private seqs: SeqSource | null = null;
	/** Entries pushed without a row, by seq, until acknowledged or stored (see the header). */
	private readonly held = new Map<number, HeldEntry>();
	private readonly pendingRemovals = new Map<number, FoundEntry>();
	/** Acknowledged messages already taken out of the usage while their receipts are on their way. */
	private readonly released = new Set<number>();
	/**
	 * Entries stored since the object woke and not yet acknowledged, so the usual ack (of something
	 * just pushed) needs no read. Coherent because this object is the only writer; bounded, and a
	 * seq missing from it is simply read from the table.
	 */
	private readonly recent = new Map<number, FoundEntry>();
	/** The seqs of batch rows acknowledged so far (receipt-batch.ts). */
	private readonly batchAcks = new BatchAcks();
	/** False once refused_senders was found empty; unknown (true) after a wake-up. Saves a statement per ack. */
	private mayHaveRefusedSenders = true;

	constructor(
		private readonly sql: SqlStorage,
		private readonly limits: MailboxLimits,
	) {}

	/** Messages held and their bytes; cached, since the object is the only writer. */
	messageUsage(): { messages: number; bytes: number } {
		return this.loaded().usage;
	}

	/** The usage and the key index, read once per wake-up (rows read, not written). */
	private loaded(): { usage: { messages: number; bytes: number }; keys: Map<string, number> } {
		if (!this.usage || !this.keys) {
			this.applyPendingRemovals();
			const usage = { messages: 0, bytes: 0 };
			const keys = new Map<string, number>();
			for (const [seq, { entry }] of this.held) {
				keys.set(entryKey(entry.kind, entry.peer, entry.messageId), seq);
				// A held message counts against the cap like a stored one: it is stored if not acknowledged.
				if (entry.kind !== "message") continue;
				usage.messages += 1;
				usage.bytes += entry.size;
			}
			for (const row of this.sql.exec<
				Pick<EntryRow, "seq" | "kind" | "peer" | "message_id" | "size" | "body">
			>(
				`SELECT seq, kind, peer, message_id, size, iif(kind = '${RECEIPT_BATCH_KIND}', body, '') AS body FROM mailbox`,
			)) {
				if (row.kind === RECEIPT_BATCH_KIND) {
					for (const entry of batchRowEntries(row))
						keys.set(entryKey(entry.kind, entry.peer, entry.messageId), entry.seq);
				} else keys.set(entryKey(row.kind, row.peer, row.message_id), row.seq);
				this.storedMax = Math.max(this.storedMax, row.seq);
				if (row.kind !== "message" || this.released.has(row.seq)) continue;
				usage.messages += 1;
				usage.bytes += row.size;
			}
			this.usage = usage;
			this.keys = keys;
		}
		return { usage: this.usage, keys: this.keys };
	}

	/**
	 * The least seq an entry may take outside a connection's block: past the last one handed out since
	 * the wake-up, every stored seq and the high-water (see the header). Uses this object's clock, not
	 * an entry's `at` (a message's sentAt is the sender object's).
	 */
	private seqFloor(): number {
		const high = this.high();
		const margin = this.lastSeq === 0 && high === 0 ? RESTART_MARGIN_MS * SEQS_PER_MS : 0;
		return Math.max(this.lastSeq + 1, this.storedMax + 1, high, Date.now() * SEQS_PER_MS + margin);
	}

	private high(): number {
		this.highWater ??=
			this.sql.exec<{ high: number }>("SELECT high FROM mailbox_seq WHERE id = 1").toArray()[0]?.high ?? 0;
		return this.highWater;
	}

	/** Moves the persisted high-water up to `to` (one row written), unless it is there already. */
	private raiseHighWater(to: number): void {
		if (to <= this.high()) return;
		this.sql.exec(
			"INSERT INTO mailbox_seq (id, high) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET high = excluded.high",
			to,
		);
		this.highWater = to;
	}

	/**
	 * Reserves a block of seqs for a new connection: one row written, the high-water moved past it.
	 * The caller keeps the cursor in the socket's attachment and hands it back with useSeqs.
	 */
	openBlock(): SeqCursor {
		this.loaded();
		const next = this.seqFloor();
		this.raiseHighWater(next + SEQ_BLOCK);
		return { next, end: next + SEQ_BLOCK };
	}

	/** The connected owner's block (see the header); null when no one is connected. */
	useSeqs(source: SeqSource | null): void {
		this.seqs = source;
	}

	/**
	 * The next seq. With a connection it comes from its block (a new block when the block is used up or
	 * the socket has none yet); without one, from seqFloor, and the caller writes the entry's row in the
	 * same turn. A seq with no row (a held notice) always comes from a block.
	 */
	private takeSeq(rowless: boolean): number {
		if (!this.seqs && rowless) this.seqs = { cursor: null, save: () => {} };
		if (!this.seqs) {
			const seq = this.seqFloor();
			this.lastSeq = seq;
			return seq;
		}
		let cursor = this.seqs.cursor;
		if (!cursor || cursor.next >= cursor.end) cursor = this.openBlock();
		const seq = cursor.next;
		this.seqs.cursor = { next: seq + 1, end: cursor.end };
		this.seqs.save(this.seqs.cursor);
		this.lastSeq = Math.max(this.lastSeq, seq);
		return seq;
	}

	/**
	 * Inserts one entry under a fresh seq (takeSeq): one row written. The statement also keeps it past
	 * every stored seq, so a block can never overlap a row.
	 */
	private insert(
		kind: EntryKind,
		peer: E164,
		messageId: string,
		body: string,
		size: number,
		now: number,
	): number {
		const seq = this.sql
			.exec<{ seq: number }>(
				`INSERT INTO mailbox (seq, kind, peer, message_id, body, size, at, expires_at)
				VALUES (max(?, (SELECT coalesce(max(seq), 0) + 1 FROM mailbox)), ?, ?, ?, ?, ?, ?, ?)
				RETURNING seq`,
				this.takeSeq(false),
				kind,
				peer,
				messageId,
				body,
				size,
				now,
				now + MAILBOX_RETENTION_MS,
			)
			.one().seq;
		this.lastSeq = Math.max(this.lastSeq, seq);
		this.storedMax = Math.max(this.storedMax, seq);
		return seq;
	}

	/**
	 * After rows were deleted: when the highest of them was the table's highest seq and above the
	 * high-water, nothing records it any more, so the high-water moves past it (one row written).
	 */
	private keepHighWaterPast(removedMax: number): void {
		if (removedMax < this.high()) return;
		const remaining =
			this.sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM mailbox").one().seq ?? 0;
		if (remaining < removedMax) this.raiseHighWater(removedMax + 1);
	}

	/** Before the account's rows are erased wholesale: the high-water moves past every seq handed out. */
	sealHighWater(): void {
		this.loaded();
		this.raiseHighWater(Math.max(this.lastSeq, this.storedMax) + 1);
	}

	/**
	 * A message for a connected owner, given a seq but no row (see the header): held until the owner
	 * acknowledges it, or written by storeHeld. A resend of a message still here is a duplicate (with
	 * the earlier hold's outcome while it is held); at the cap it is refused, as storeMessage does.
	 */
	holdMessage(from: E164, messageId: string, body: string, size: number, now: number): HoldResult {
		const { usage, keys } = this.loaded();
		const key = entryKey("message", from, messageId);
		const existing = keys.get(key);
		if (existing !== undefined) {
			const held = this.held.get(existing);
			return held ? { duplicate: true, hold: held.hold } : { duplicate: true };
		}
		if (usage.messages + 1 > this.limits.maxMessages || usage.bytes + size > this.limits.maxBytes) {
			return { full: true };
		}
		usage.messages += 1;
		usage.bytes += size;
		return { held: this.hold("message", from, messageId, body, size, now) };
	}

	/**
	 * A receipt or resume notice for a connected owner, given a seq but no row (see the header).
	 * Returns the frame to push and a promise that settles true when the owner acknowledges it, false
	 * when it was stored instead; null for a repeated notice (already held, stored or waiting).
	 */
	holdNotice(kind: "receipt" | "resume", peer: E164, messageId: string, now: number): Hold | null {
		const { keys } = this.loaded();
		if (keys.has(entryKey(kind, peer, messageId))) return null;
		return this.hold(kind, peer, messageId, "", 0, now);
	}

	private hold(
		kind: EntryKind,
		peer: E164,
		messageId: string,
		body: string,
		size: number,
		now: number,
	): Hold {
		const seq = this.takeSeq(true);
		this.keys?.set(entryKey(kind, peer, messageId), seq);
		const frame = entryFrame({ seq, kind, peer, message_id: messageId, body, at: now });
		let resolve: (acked: boolean) => void = () => {};
		const hold: { -readonly [K in keyof Hold]: Hold[K] } = {
			seq,
			frame,
			state: "held",
			acked: new Promise<boolean>((done) => {
				resolve = done;
			}),
		};
		const settle = (state: "acked" | "stored" | "discarded") => {
			hold.state = state;
			resolve(state === "acked");
		};
		this.held.set(seq, { entry: { seq, kind, peer, messageId, size }, hold, body, at: now, settle });
		return hold;
	}

	/** True while `seq` is pushed without a row, awaiting its ack. */
	isHeld(seq: number): boolean {
		return this.held.has(seq);
	}

	/**
	 * Writes a held entry its owner has not acknowledged, under the seq it was pushed with: one row.
	 * Returns its frame when it was still held (so the caller can push it to a newer socket), else null.
	 */
	storeHeld(seq: number): ServerFrame | null {
		const held = this.held.get(seq);
		if (!held) return null;
		this.applyPendingRemovals();
		const { entry } = held;
		this.sql.exec(
			"INSERT INTO mailbox (seq, kind, peer, message_id, body, size, at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			seq,
			entry.kind,
			entry.peer,
			entry.messageId,
			held.body,
			entry.size,
			held.at,
			held.at + MAILBOX_RETENTION_MS,
		);
		this.storedMax = Math.max(this.storedMax, seq);
		this.held.delete(seq);
		this.remember(entry);
		held.settle("stored");
		return held.hold.frame;
	}

	/** Writes every held entry (a new connection's backlog is read from the table). */
	storeAllHeld(): void {
		for (const seq of [...this.held.keys()]) this.storeHeld(seq);
	}

	/**
	 * Stores a message unless it is already here (a resend of a stored one): one statement, since this
	 * runs for every relayed message.
	 */
	storeMessage(from: E164, messageId: string, body: string, size: number, now: number): StoreResult {
		this.applyPendingRemovals();
		const { usage, keys } = this.loaded();
		const key = entryKey("message", from, messageId);
		// A resend of something still stored or held is answered as stored, even at the cap.
		if (keys.has(key)) return { stored: false, duplicate: true };
		if (usage.messages + 1 > this.limits.maxMessages || usage.bytes + size > this.limits.maxBytes) {
			return { stored: false, full: true };
		}
		const seq = this.insert("message", from, messageId, body, size, now);
		keys.set(key, seq);
		usage.messages += 1;
		usage.bytes += size;
		this.remember({ seq, kind: "message", peer: from, messageId, size });
		return {
			stored: true,
			frame: entryFrame({ seq, kind: "message", peer: from, message_id: messageId, body, at: now }),
		};
	}

	/**
	 * Receipts and resume notices: exempt from the cap, stored once per (kind, peer, id). Returns the
	 * frame to push when it is new; a repeated notice is already pushed or waiting in the backlog.
	 */
	storeNotice(kind: "receipt" | "resume", peer: E164, messageId: string, now: number): ServerFrame | null {
		this.applyPendingRemovals();
		const { keys } = this.loaded();
		const key = entryKey(kind, peer, messageId);
		if (keys.has(key)) return null;
		const seq = this.insert(kind, peer, messageId, "", 0, now);
		keys.set(key, seq);
		this.remember({ seq, kind, peer, messageId, size: 0 });
		return entryFrame({ seq, kind, peer, message_id: messageId, body: "", at: now });
	}

	/**
	 * Receipts from one peer for an owner who is away (receipt-batch.ts): new ones only, once per
	 * (peer, id) like storeNotice. Two or more are one row under the first of as many consecutive seqs,
	 * all below the high-water, which moves past them in the same commit (two rows written per batch,
	 * whatever its size); a single one is an ordinary notice row.
	 */
	storeReceipts(peer: E164, receipts: readonly BatchedReceipt[]): void {
		this.applyPendingRemovals();
		const { keys } = this.loaded();
		const fresh = new Map<string, number>();
		for (const receipt of receipts) {
			if (!keys.has(entryKey("receipt", peer, receipt.messageId)) && !fresh.has(receipt.messageId))
				fresh.set(receipt.messageId, receipt.at);
		}
		const batch = [...fresh].map(([messageId, at]) => ({ messageId, at }));
		const [first] = batch;
		if (!first) return;
		if (batch.length === 1) {
			this.storeNotice("receipt", peer, first.messageId, first.at);
			return;
		}
		const seq = this.seqFloor();
		this.raiseHighWater(seq + batch.length);
		const at = Math.min(...batch.map((receipt) => receipt.at));
		this.sql.exec(
			"INSERT INTO mailbox (seq, kind, peer, message_id, body, size, at, expires_at) VALUES (?, ?, ?, '', ?, 0, ?, ?)",
			seq,
			RECEIPT_BATCH_KIND,
			peer,
			encodeReceiptBatch(batch),
			at,
			at + MAILBOX_RETENTION_MS,
		);
		this.lastSeq = seq + batch.length - 1;
		this.storedMax = Math.max(this.storedMax, seq);
		for (const entry of batchEntries(seq, peer, batch)) {
			keys.set(entryKey(entry.kind, entry.peer, entry.messageId), entry.seq);
			this.remember(entry);
		}
	}

	/** Every entry in delivery order, but those in `leaving` (acknowledged, their receipts on their way). */
	entries(leaving: ReadonlySet<number> = new Set()): ServerFrame[] {
		this.applyPendingRemovals();
		return this.sql
			.exec<EntryRow>("SELECT seq, kind, peer, message_id, body, size, at FROM mailbox ORDER BY seq")
			.toArray()
			.flatMap((row) => {
				if (row.kind !== RECEIPT_BATCH_KIND)
					return leaving.has(row.seq) ? [] : [entryFrame({ ...row, peer: storedPhone(row.peer) })];
				// Receipts of the batch already acknowledged are not sent again.
				return batchRowEntries(row)
					.filter((entry) => !this.batchAcks.isAcked(entry.seq, row.seq))
					.map((entry) => entryFrame({ ...entry, message_id: entry.messageId, body: "" }));
			});
	}

	/**
	 * The entries an ack names, read but not removed (a message's receipt goes out before it leaves).
	 * Seqs already acknowledged and awaiting deletion are neither found nor unknown.
	 */
	find(seqs: readonly number[]): FoundEntries {
		const result: FoundEntries = { found: [], unknown: [] };
		const wanted = [...new Set(seqs)].filter((seq) => !this.pendingRemovals.has(seq));
		const rows = new Map<number, EntryRow>();
		const unread = wanted.filter((seq) => !this.recent.has(seq) && !this.held.has(seq));
		for (const chunk of chunks(unread, MAX_PARAMETERS)) {
			for (const row of this.sql.exec<EntryRow>(
				`SELECT seq, kind, peer, message_id, size FROM mailbox WHERE seq IN (${placeholders(chunk)})`,
				...chunk,
			))
				rows.set(row.seq, row);
		}
		// A batch row's first receipt has the row's seq; the others have no row of their own.
		const batched = this.batchedReceipts(
			unread.filter((seq) => (rows.get(seq)?.kind ?? RECEIPT_BATCH_KIND) === RECEIPT_BATCH_KIND),
		);
		for (const seq of wanted) {
			const known = this.held.get(seq)?.entry ?? this.recent.get(seq) ?? batched.get(seq);
			if (known) {
				// A receipt of a batch whose row is still there, acknowledged already: neither found nor unknown.
				if (!(known.batch && this.batchAcks.isAcked(seq, known.batch.seq))) result.found.push(known);
				continue;
			}
			const row = rows.get(seq);
			if (!row || row.kind === RECEIPT_BATCH_KIND) result.unknown.push(seq);
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

	/** The receipts of batch rows (receipt-batch.ts) among `seqs`, by seq; reads the rows only if asked. */
	private batchedReceipts(seqs: readonly number[]): Map<number, FoundEntry> {
		const found = new Map<number, FoundEntry>();
		if (seqs.length === 0) return found;
		const wanted = new Set(seqs);
		for (const row of this.sql.exec<Pick<EntryRow, "seq" | "peer" | "body">>(
			"SELECT seq, peer, body FROM mailbox WHERE kind = ? AND seq <= ?",
			RECEIPT_BATCH_KIND,
			Math.max(...seqs),
		)) {
			for (const entry of batchRowEntries(row)) if (wanted.has(entry.seq)) found.set(entry.seq, entry);
		}
		return found;
	}

	/**
	 * Takes acknowledged messages out of the usage before their rows can go (their receipts are on
	 * their way: a sender's object may hold one until its client acks it), so the cap counts only what
	 * is still owed. If the object is lost first, the usage is read again from the rows.
	 */
	release(entries: readonly FoundEntry[]): void {
		for (const entry of entries) {
			if (entry.kind !== "message" || this.released.has(entry.seq) || this.pendingRemovals.has(entry.seq))
				continue;
			this.released.add(entry.seq);
			if (this.usage) {
				this.usage.messages -= 1;
				this.usage.bytes -= entry.size;
			}
		}
	}

	/**
	 * Takes acknowledged entries out of the mailbox's view and its usage now; the rows are deleted with
	 * the next write (see the header). `forget` (a discard) settles a held message without a receipt.
	 */
	removeLater(entries: readonly FoundEntry[], options: { forget?: boolean } = {}): void {
		for (const entry of entries) {
			const held = this.held.get(entry.seq);
			if (held) {
				// Acknowledged (or discarded) before it needed a row: nothing to delete, no id remembered.
				this.held.delete(entry.seq);
				this.keys?.delete(entryKey(entry.kind, entry.peer, entry.messageId));
				if (entry.kind === "message" && this.usage) {
					this.usage.messages -= 1;
					this.usage.bytes -= entry.size;
				}
				held.settle(options.forget ? "discarded" : "acked");
				continue;
			}
			if (this.pendingRemovals.has(entry.seq)) continue;
			this.pendingRemovals.set(entry.seq, entry);
			this.recent.delete(entry.seq);
			if (this.released.delete(entry.seq)) continue;
			if (entry.kind === "message" && this.usage) {
				this.usage.messages -= 1;
				this.usage.bytes -= entry.size;
			}
		}
	}

	hasPendingRemovals(): boolean {
		return this.pendingRemovals.size > 0;
	}

	/**
	 * Deletes the entries acknowledged since the last write. A receipt of a batch row only counts
	 * towards its row, which goes with the last of them (receipt-batch.ts).
	 */
	applyPendingRemovals(): void {
		const entries = [...this.pendingRemovals.values()];
		if (entries.length === 0) return;
		const rowSeqs: number[] = [];
		const completed = new Set<number>();
		for (const entry of entries) {
			if (!entry.batch) rowSeqs.push(entry.seq);
			else if (this.batchAcks.ack(entry.seq, entry.batch) && !completed.has(entry.batch.seq)) {
				completed.add(entry.batch.seq);
				rowSeqs.push(entry.batch.seq);
			}
		}
		let removedMax = 0;
		for (const chunk of chunks(rowSeqs, MAX_PARAMETERS)) {
			this.sql.exec(`DELETE FROM mailbox WHERE seq IN (${placeholders(chunk)})`, ...chunk);
			for (const seq of chunk) removedMax = Math.max(removedMax, seq);
		}
		if (removedMax > 0) this.keepHighWaterPast(removedMax);
		// Cleared only after every statement ran: a failure leaves them pending, to be tried again.
		for (const seq of completed) this.batchAcks.forget(seq);
		for (const entry of entries) this.keys?.delete(entryKey(entry.kind, entry.peer, entry.messageId));
		this.pendingRemovals.clear();
	}

	/** Deletes entries (and ids an older version remembered) past retention; returns how many entries. */
	expire(now: number): number {
		this.applyPendingRemovals();
		this.recent.clear();
		this.sql.exec("DELETE FROM delivered WHERE expires_at <= ?", now);
		const expired = this.sql
			.exec<{ seq: number }>("DELETE FROM mailbox WHERE expires_at <= ? RETURNING seq", now)
			.toArray();
		const removed = expired.length;
		for (const row of expired) this.batchAcks.forget(row.seq);
		if (removed > 0) {
			this.keepHighWaterPast(expired.reduce((max, row) => Math.max(max, row.seq), 0));
			this.usage = null;
			this.keys = null;
		}
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
}

/** The receipts of a batch (receipt-batch.ts) under `seq`, each as the entry its own seq names. */
function batchEntries(
	seq: number,
	peer: E164,
	receipts: readonly BatchedReceipt[],
): (FoundEntry & { kind: "receipt"; at: number })[] {
	const batch = { seq, count: receipts.length };
	return receipts.map((receipt, index) => ({
		seq: seq + index,
		kind: "receipt",
		peer,
		messageId: receipt.messageId,
		size: 0,
		batch,
		at: receipt.at,
	}));
}

/** A stored batch row's receipts (see batchEntries). */
function batchRowEntries(row: Pick<EntryRow, "seq" | "peer" | "body">) {
	return batchEntries(row.seq, storedPhone(row.peer), decodeReceiptBatch(row.body));
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

/**
 * Seqs per millisecond of the clock, so seqs rise with time (see the header; correctness does not
 * rest on it). 1,024 × the epoch in milliseconds stays below 2^53 until the year 2248.
 */
const SEQS_PER_MS = 1024;
/**
 * How far ahead of its clock an object with no high-water yet starts its seqs: past what an instance
 * of the code before the high-water handed out (it started a second ahead and counted up by one).
 */
const RESTART_MARGIN_MS = 1_000;
/** Seqs reserved per connection (a second of the clock's seqs); another block when one is used up. */
const SEQ_BLOCK = 1 << 20;

/** The in-memory stand-in for a UNIQUE (kind, peer, message_id) index. */
function entryKey(kind: string, peer: string, messageId: string): string {
	return `${kind} ${peer} ${messageId}`;
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
