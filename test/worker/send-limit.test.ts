// The per-pair send limit's checkpoints (worker/phone/send-limit.ts), on a phone object's real SQLite:
// rows written per message (docs/PERFORMANCE.md §Cost model) and what a fresh instance (an evicted
// object's successor) reads back.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CHECKPOINT_SLACK, SEND_RULE, SendLimit, type SqlExec } from "../../worker/phone/send-limit.ts";
import { newE164 } from "./helpers/phones.ts";

/** The object's own SQL storage, summing rowsWritten over every statement run through it. */
function counting(sql: SqlStorage): { sql: SqlExec; rowsWritten: () => number } {
	const written: (() => number)[] = [];
	return {
		sql: {
			exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]) {
				const cursor = sql.exec<T>(query, ...bindings);
				written.push(() => cursor.rowsWritten);
				return cursor;
			},
		},
		rowsWritten: () => written.reduce((sum, rows) => sum + rows(), 0),
	};
}

function inObject<R>(callback: (sql: SqlStorage) => R): Promise<R> {
	return runInDurableObject(env.PHONE.getByName(newE164()), (_instance, state) =>
		callback(state.storage.sql),
	);
}

describe("send limit checkpoints", () => {
	it("a pair sending at most once a second writes no rows", async () => {
		const written = await inObject((sql) => {
			const store = counting(sql);
			const limit = new SendLimit(store.sql);
			const recipient = newE164();
			let now = 1_000_000;
			for (let i = 0; i < 200; i++) {
				expect(limit.take(recipient, now).allowed).toBe(true);
				now += SEND_RULE.refillSeconds * 1000;
			}
			return store.rowsWritten();
		});
		expect(written).toBe(0);
	});

	it("a burst writes one row per CHECKPOINT_SLACK sends, and refused sends write none", async () => {
		const written = await inObject((sql) => {
			const store = counting(sql);
			const limit = new SendLimit(store.sql);
			const recipient = newE164();
			const now = 1_000_000;
			for (let i = 0; i < SEND_RULE.burst; i++) expect(limit.take(recipient, now).allowed).toBe(true);
			for (let i = 0; i < 100; i++) expect(limit.take(recipient, now).allowed).toBe(false);
			return store.rowsWritten();
		});
		expect(written).toBe(SEND_RULE.burst / CHECKPOINT_SLACK);
	});

	it("a fresh instance on the same storage grants fewer than CHECKPOINT_SLACK sends more than the old one would", async () => {
		const { old, fresh } = await inObject((sql) => {
			const recipient = newE164();
			const now = 1_000_000;
			const counts = { old: 0, fresh: 0 };
			const first = new SendLimit(sql);
			// Stop short of a checkpoint: the worst case for what the stored copy knows.
			for (let i = 0; i < SEND_RULE.burst - 1; i++) first.take(recipient, now);
			// The successor reads the checkpoint; the old instance's memory still has the true count.
			const second = new SendLimit(sql);
			while (second.take(recipient, now).allowed) counts.fresh += 1;
			while (first.take(recipient, now).allowed) counts.old += 1;
			return counts;
		});
		expect(old).toBe(1);
		expect(fresh).toBeGreaterThanOrEqual(old);
		expect(fresh - old).toBeLessThan(CHECKPOINT_SLACK);
	});

	it("checkpoints of buckets that have refilled since are dropped with the next one", async () => {
		const rows = await inObject((sql) => {
			const limit = new SendLimit(sql);
			let now = 1_000_000;
			for (let r = 0; r < 5; r++) {
				const recipient = newE164();
				for (let i = 0; i < CHECKPOINT_SLACK; i++) limit.take(recipient, now);
				// A full refill later, the next recipient's checkpoint clears this one.
				now += SEND_RULE.burst * SEND_RULE.refillSeconds * 1000;
			}
			return sql.exec<{ n: number }>("SELECT count(*) AS n FROM send_buckets").one().n;
		});
		expect(rows).toBe(1);
	});
});
