// Rows written per mailbox entry (worker/phone/mailbox.ts, docs/PERFORMANCE.md §Cost model), counted
// with workerd's own rowsWritten on a phone object's real SQLite, and the migration that brought them
// there: a mailbox of the AUTOINCREMENT + UNIQUE schema is rebuilt keeping every entry and its seq.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { E164 } from "../../protocol/wire/index.ts";
import { Mailbox, type SeqSource } from "../../worker/phone/mailbox.ts";
import { migrate } from "../../worker/phone/schema.ts";
import { newE164 } from "./helpers/phones.ts";
import { register, stubOf } from "./helpers/register.ts";
import { connectDrained, messageId, randomBody } from "./helpers/socket.ts";
import { expectStoredRows } from "./helpers/storage.ts";

const LIMITS = { maxMessages: 100, maxBytes: 1_000_000 };

/** The object's SQL storage, summing rowsWritten over every statement run through it. */
function counting(sql: SqlStorage): { sql: SqlStorage; rowsWritten: () => number } {
	const written: (() => number)[] = [];
	const counted: SqlStorage = Object.create(sql);
	counted.exec = <T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]) => {
		const cursor = sql.exec<T>(query, ...bindings);
		written.push(() => cursor.rowsWritten);
		return cursor;
	};
	return { sql: counted, rowsWritten: () => written.reduce((sum, rows) => sum + rows(), 0) };
}

function inObject<R>(callback: (sql: SqlStorage) => R): Promise<R> {
	return runInDurableObject(env.PHONE.getByName(newE164()), (_instance, state) =>
		callback(state.storage.sql),
	);
}

function seqOf(result: ReturnType<Mailbox["storeMessage"]>): number {
	if (!result.stored || result.frame.type !== "message") throw new Error("expected a stored message");
	return result.frame.seq;
}

/** A connection's seq source, as the object keeps it in the socket's attachment. */
function connection(mailbox: Mailbox): SeqSource {
	const source: SeqSource = {
		cursor: mailbox.openBlock(),
		save: (cursor) => {
			source.cursor = cursor;
		},
	};
	mailbox.useSeqs(source);
	return source;
}

describe("rows written per mailbox entry", () => {
	it("a message: one row stored, one deleted (no remembered id); a resend while it is stored writes none", async () => {
		const counts = await inObject((sql) => {
			const from: E164 = newE164();
			const mailbox = new Mailbox(sql, LIMITS);
			// The first write after a wake-up reads the mailbox once; not what is counted here.
			mailbox.messageUsage();
			const store = counting(sql);
			const counted = new Mailbox(store.sql, LIMITS);
			counted.messageUsage();
			const before = store.rowsWritten();
			const seq = seqOf(counted.storeMessage(from, "m1", "AAAA", 3, Date.now()));
			const stored = store.rowsWritten() - before;
			expect(counted.storeMessage(from, "m1", "AAAA", 3, Date.now())).toEqual({
				stored: false,
				duplicate: true,
			});
			const resent = store.rowsWritten() - before - stored;
			// A later message keeps the mailbox's highest seq in a row, so this removal needs no high-water.
			const last = seqOf(counted.storeMessage(from, "m2", "AAAA", 3, Date.now()));
			const mark = store.rowsWritten();
			counted.removeLater(counted.find([seq]).found);
			counted.applyPendingRemovals();
			const removed = store.rowsWritten() - mark;
			// Not remembered after the ack (the recipient's client drops a repeat): a late resend is stored again.
			const again = seqOf(counted.storeMessage(from, "m1", "AAAA", 3, Date.now()));
			const after = store.rowsWritten() - mark - removed;
			// The last ones leave: the highest seq ever handed out is then held by no row.
			counted.removeLater(counted.find([last, again]).found);
			counted.applyPendingRemovals();
			const emptied = store.rowsWritten() - mark - removed - after;
			return {
				stored,
				resent,
				removed,
				after,
				emptied,
				delivered: sql.exec("SELECT * FROM delivered").toArray(),
			};
		});
		expect(counts).toEqual({ stored: 1, resent: 0, removed: 1, after: 1, emptied: 2 + 1, delivered: [] });
	});

	it("a receipt: one row stored and one deleted; a repeated receipt writes none", async () => {
		const counts = await inObject((sql) => {
			const peer: E164 = newE164();
			const store = counting(sql);
			const mailbox = new Mailbox(store.sql, LIMITS);
			mailbox.messageUsage();
			const frame = mailbox.storeNotice("receipt", peer, "m1", Date.now());
			const stored = store.rowsWritten();
			expect(mailbox.storeNotice("receipt", peer, "m1", Date.now())).toBeNull();
			mailbox.storeNotice("receipt", peer, "m2", Date.now());
			const mark = store.rowsWritten();
			if (frame?.type !== "receipt") throw new Error("expected a receipt");
			mailbox.removeLater(mailbox.find([frame.seq]).found);
			mailbox.applyPendingRemovals();
			return { stored, removed: store.rowsWritten() - mark };
		});
		expect(counts).toEqual({ stored: 1, removed: 1 });
	});

	it("receipts for an away owner: one row per batch (+ the high-water), n frames under n seqs, the row deleted with the last ack; a woken object delivers what was not acknowledged", async () => {
		const result = await inObject((sql) => {
			const peer: E164 = newE164();
			const store = counting(sql);
			const mailbox = new Mailbox(store.sql, LIMITS);
			mailbox.messageUsage();
			const at = Date.now();
			mailbox.storeReceipts(peer, [
				{ messageId: "m1", at },
				{ messageId: "m2", at },
				{ messageId: "m3", at: at + 1 },
				{ messageId: "m1", at },
			]);
			const stored = store.rowsWritten();
			const frames = mailbox.entries();
			const seqs = frames.map((frame) => ("seq" in frame ? frame.seq : 0));
			// A repeat is dropped; a new one among repeats is stored alone.
			let mark = store.rowsWritten();
			mailbox.storeReceipts(peer, [
				{ messageId: "m2", at },
				{ messageId: "m4", at },
			]);
			const repeated = store.rowsWritten() - mark;
			mark = store.rowsWritten();
			mailbox.removeLater(mailbox.find([seqs[0] ?? 0, seqs[2] ?? 0]).found);
			mailbox.applyPendingRemovals();
			const partialAck = store.rowsWritten() - mark;
			const left = mailbox.entries().map((frame) => (frame.type === "receipt" ? frame.id : frame.type));
			// The same table in a new instance (a woken object): the acks in memory are gone.
			const woken = new Mailbox(store.sql, LIMITS);
			const redelivered = woken.entries().map((frame) => (frame.type === "receipt" ? frame.id : frame.type));
			const found = woken.find([...seqs, (seqs[2] ?? 0) + 1_000]);
			mark = store.rowsWritten();
			woken.removeLater(found.found.filter((entry) => entry.messageId !== "m2"));
			woken.applyPendingRemovals();
			const notLast = store.rowsWritten() - mark;
			woken.removeLater(woken.find([seqs[1] ?? 0]).found);
			woken.applyPendingRemovals();
			const last = store.rowsWritten() - notLast - mark;
			const after = woken.storeNotice("receipt", peer, "m5", Date.now());
			return {
				stored,
				frames: frames.map((frame) =>
					frame.type === "receipt" ? [frame.id, frame.deliveredAt - at] : frame.type,
				),
				consecutive: seqs.every((seq, index) => seq === (seqs[0] ?? 0) + index),
				repeated,
				partialAck,
				left,
				redelivered,
				found: found.found.map((entry) => entry.messageId),
				unknown: found.unknown.length,
				notLast,
				last,
				rowsLeft: sql.exec<{ n: number }>("SELECT count(*) AS n FROM mailbox WHERE kind = 'receipts'").one()
					.n,
				seqAbove: after?.type === "receipt" && after.seq > (seqs[2] ?? Number.MAX_SAFE_INTEGER),
			};
		});
		expect(result).toEqual({
			stored: 2,
			frames: [
				["m1", 0],
				["m2", 0],
				["m3", 1],
			],
			consecutive: true,
			repeated: 1,
			partialAck: 0,
			left: ["m2", "m4"],
			redelivered: ["m1", "m2", "m3", "m4"],
			found: ["m1", "m2", "m3"],
			unknown: 1,
			notLast: 0,
			last: 1,
			rowsLeft: 0,
			seqAbove: true,
		});
	});

	it("a held receipt (connected owner): none written when acknowledged, one under its seq when not", async () => {
		const counts = await inObject(async (sql) => {
			const peer: E164 = newE164();
			const store = counting(sql);
			const mailbox = new Mailbox(store.sql, LIMITS);
			mailbox.messageUsage();
			// The connection's hello reserved its block of seqs (one row, per connection).
			const hello = store.rowsWritten();
			connection(mailbox);
			const block = store.rowsWritten() - hello;
			const start = store.rowsWritten();
			const acked = mailbox.holdNotice("receipt", peer, "m1", Date.now());
			const late = mailbox.holdNotice("receipt", peer, "m2", Date.now());
			if (!acked || !late) throw new Error("expected two held receipts");
			// A repeated receipt while held is not pushed twice.
			expect(mailbox.holdNotice("receipt", peer, "m1", Date.now())).toBeNull();
			mailbox.removeLater(mailbox.find([acked.seq]).found);
			mailbox.applyPendingRemovals();
			const afterAck = store.rowsWritten() - start;
			const frame = mailbox.storeHeld(late.seq);
			const stored = store.rowsWritten() - start - afterAck;
			// Acknowledged after it was written: deleted, and no high-water (the block's seqs are below it).
			mailbox.removeLater(mailbox.find([late.seq]).found);
			mailbox.applyPendingRemovals();
			return {
				block,
				afterAck,
				acked: await acked.acked,
				late: await late.acked,
				stored,
				removed: store.rowsWritten() - start - afterAck - stored,
				frameSeq: frame?.type === "receipt" ? frame.seq : null,
				lateSeq: late.seq,
				found: mailbox.find([acked.seq]).unknown,
			};
		});
		expect(counts).toMatchObject({ block: 1, afterAck: 0, acked: true, late: false, stored: 1, removed: 1 });
		expect(counts.frameSeq).toBe(counts.lateSeq);
		// Acknowledged and gone: a second ack is unknown.
		expect(counts.found).toHaveLength(1);
	});

	it("seqs rise past every stored one and are never reused after the highest entry left", async () => {
		const seqs = await inObject((sql) => {
			const from: E164 = newE164();
			const first = new Mailbox(sql, LIMITS);
			const one = seqOf(first.storeMessage(from, "a", "AAAA", 3, Date.now()));
			const two = seqOf(first.storeMessage(from, "b", "AAAA", 3, Date.now()));
			first.removeLater(first.find([two]).found);
			first.applyPendingRemovals();
			// A successor instance (the object restarted) in the same millisecond.
			const second = new Mailbox(sql, LIMITS);
			const three = seqOf(second.storeMessage(from, "c", "AAAA", 3, Date.now()));
			return { one, two, three };
		});
		expect(seqs.two).toBeGreaterThan(seqs.one);
		expect(seqs.three).toBeGreaterThan(seqs.two);
		expect(seqs.one).toBeGreaterThanOrEqual(Date.now() - 60_000);
	});

	it("seqs pushed without a row are never reused: a woken object goes on from the socket's cursor, a restarted one past the block", async () => {
		const seqs = await inObject((sql) => {
			const peer: E164 = newE164();
			const first = new Mailbox(sql, LIMITS);
			const socket = connection(first);
			const held = first.holdNotice("receipt", peer, "r1", Date.now());
			if (!held) throw new Error("expected a held receipt");
			first.removeLater(first.find([held.seq]).found);
			// Woken from hibernation in the same millisecond, on the same socket (its attachment kept the cursor).
			const woken = new Mailbox(sql, LIMITS);
			woken.useSeqs(socket);
			const again = woken.holdNotice("receipt", peer, "r2", Date.now());
			// Restarted (every socket closed) in the same millisecond: no cursor, only the table.
			const restarted = new Mailbox(sql, LIMITS);
			const stored = seqOf(restarted.storeMessage(peer, "m", "AAAA", 3, Date.now()));
			const fresh = restarted.openBlock();
			return {
				held: held.seq,
				again: again?.seq ?? 0,
				stored,
				fresh: fresh.next,
				rows: restarted.entries().length,
			};
		});
		expect(seqs.again).toBe(seqs.held + 1);
		expect(seqs.stored).toBeGreaterThan(seqs.again);
		expect(seqs.fresh).toBeGreaterThan(seqs.stored);
		expect(seqs.rows).toBe(1);
	});
});

describe("mailbox migration", () => {
	it("rebuilds an AUTOINCREMENT + UNIQUE mailbox keeping every entry under its seq; resends still land once", async () => {
		const result = await inObject((sql) => {
			const from: E164 = newE164();
			// The mailbox as objects created before 2026-12-01 have it.
			sql.exec("DROP TABLE mailbox");
			sql.exec(`CREATE TABLE mailbox (
				seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, peer TEXT NOT NULL,
				message_id TEXT NOT NULL, body TEXT NOT NULL, size INTEGER NOT NULL, at INTEGER NOT NULL,
				expires_at INTEGER NOT NULL, UNIQUE (kind, peer, message_id))`);
			const later = Date.now() + 86_400_000;
			sql.exec(
				"INSERT INTO mailbox (kind, peer, message_id, body, size, at, expires_at) VALUES ('message', ?, 'old1', 'AAAA', 3, 1, ?), ('receipt', ?, 'old2', '', 0, 2, ?)",
				from,
				later,
				from,
				later,
			);
			migrate(sql);
			migrate(sql);
			const table = sql
				.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'mailbox'")
				.one().sql;
			const mailbox = new Mailbox(sql, LIMITS);
			const resend = mailbox.storeMessage(from, "old1", "AAAA", 3, Date.now());
			const fresh = seqOf(mailbox.storeMessage(from, "new", "AAAA", 3, Date.now()));
			return {
				table,
				resend,
				fresh,
				entries: mailbox.entries().map((frame) => ("seq" in frame ? [frame.type, frame.seq] : [])),
				leftovers: sql.exec("SELECT name FROM sqlite_master WHERE name = 'mailbox_rebuilt'").toArray(),
			};
		});
		expect(result.table).not.toMatch(/AUTOINCREMENT|UNIQUE/i);
		expect(result.resend).toEqual({ stored: false, duplicate: true });
		expect(result.entries).toEqual([
			["message", 1],
			["receipt", 2],
			["message", result.fresh],
		]);
		expect(result.fresh).toBeGreaterThan(2);
		expect(result.leftovers).toEqual([]);
	});
});

/**
 * Counts rows written by a phone's object from now on: its SQL storage's exec is wrapped in place
 * (the object's mailbox holds the same SqlStorage), summing workerd's rowsWritten of every statement.
 */
async function countRowsOf(phone: string): Promise<() => Promise<number>> {
	const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
	await runInDurableObject(stubOf(phone), (_instance, state) => {
		const sql = state.storage.sql;
		const exec = sql.exec.bind(sql);
		sql.exec = <T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]) => {
			const cursor = exec<T>(query, ...bindings);
			cursors.push(cursor);
			return cursor;
		};
	});
	return async () => cursors.reduce((sum, cursor) => sum + cursor.rowsWritten, 0);
}

describe("rows written per relayed message, through the phone objects (docs/PERFORMANCE.md §Cost model)", () => {
	it("online: a live message acknowledged at once writes none at either end", async () => {
		const alice = await register();
		const bob = await register();
		const a = (await connectDrained(alice.phone, alice.token)).socket;
		const b = (await connectDrained(bob.phone, bob.token)).socket;
		const [atAlice, atBob] = [await countRowsOf(alice.phone), await countRowsOf(bob.phone)];
		for (let i = 0; i < 3; i++) {
			const id = messageId();
			a.send({ type: "send", id, to: bob.phone, body: randomBody() });
			b.send({ type: "ack", seqs: [(await b.next("message")).seq] });
			expect(await a.next("sent")).toMatchObject({ id, delivery: "live" });
			a.send({ type: "ack", seqs: [(await a.next("receipt")).seq] });
		}
		// Past every hold and deferred removal.
		await new Promise((resolve) => setTimeout(resolve, 1_500));
		expect({ alice: await atAlice(), bob: await atBob() }).toEqual({ alice: 0, bob: 0 });
	});

	it("offline: stored 1; acked 1 (its deletion); the receipts of one ack to an offline sender one row (+ the high-water) and one deletion, however many; each connection 1 (its seq block, which also covers the removals)", async () => {
		const alice = await register();
		const bob = await register();
		const a = (await connectDrained(alice.phone, alice.token)).socket;
		const [atAlice, atBob] = [await countRowsOf(alice.phone), await countRowsOf(bob.phone)];
		const ids = [messageId(), messageId(), messageId(), messageId(), messageId()];
		for (const id of ids) {
			a.send({ type: "send", id, to: bob.phone, body: randomBody() });
			expect(await a.next("sent")).toMatchObject({ id, delivery: "queued" });
		}
		const stored = await atBob();
		a.close();
		const b = await connectDrained(bob.phone, bob.token);
		const hello = (await atBob()) - stored;
		b.socket.send({ type: "ack", seqs: b.backlog.map((frame) => ("seq" in frame ? frame.seq : 0)) });
		await expectStoredRows(bob.phone, "mailbox", 0);
		const drained = (await atBob()) - stored - hello;
		await expectStoredRows(alice.phone, "mailbox", 1);
		const receipts = await atAlice();
		const again = await connectDrained(alice.phone, alice.token);
		expect(again.backlog.map((frame) => (frame.type === "receipt" ? frame.id : frame.type))).toEqual(ids);
		again.socket.send({ type: "ack", seqs: again.backlog.map((frame) => ("seq" in frame ? frame.seq : 0)) });
		await expectStoredRows(alice.phone, "mailbox", 0);
		const acked = (await atAlice()) - receipts;
		expect({ stored, hello, drained, receipts, acked }).toEqual({
			stored: 5,
			hello: 1,
			drained: 5,
			receipts: 2,
			acked: 1 + 1,
		});
	});
});
