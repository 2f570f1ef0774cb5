// The phone object's SQLite schema: migration from the first schema, and hourly expiry (fewer rows
// written per message: docs/PERFORMANCE.md §Cost model).
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { migrate } from "../../worker/phone/schema.ts";
import { register, stubOf } from "./helpers/register.ts";
import { connectDrained, messageId, randomBody } from "./helpers/socket.ts";

const HOUR_MS = 3_600_000;
const RETENTION_MS = 30 * 24 * HOUR_MS;

describe("schema", () => {
	it("rebuilds a first-schema `delivered` table without rowid, keeping its ids, and drops the expiry indexes", async () => {
		const { phone } = await register();
		await runInDurableObject(stubOf(phone), (_instance, state) => {
			const sql = state.storage.sql;
			// The first schema, as objects created before 2026-11-28 have it.
			sql.exec("DROP TABLE delivered");
			sql.exec(
				"CREATE TABLE delivered (peer TEXT NOT NULL, message_id TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (peer, message_id))",
			);
			sql.exec("CREATE INDEX delivered_expiry ON delivered (expires_at)");
			sql.exec("CREATE INDEX mailbox_expiry ON mailbox (expires_at)");
			sql.exec("INSERT INTO delivered VALUES ('+15555550100', 'kept', 123)");
			migrate(sql);
			migrate(sql);
			const table = sql
				.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'delivered'")
				.one().sql;
			expect(table).toMatch(/WITHOUT ROWID/i);
			expect(sql.exec("SELECT peer, message_id, expires_at FROM delivered").toArray()).toEqual([
				{ peer: "+15555550100", message_id: "kept", expires_at: 123 },
			]);
			const indexes = sql
				.exec(
					"SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('mailbox_expiry', 'delivered_expiry')",
				)
				.toArray();
			expect(indexes).toEqual([]);
			expect(sql.exec("SELECT name FROM sqlite_master WHERE name = 'delivered_rebuilt'").toArray()).toEqual(
				[],
			);
		});
	});

	it("adds the last-resort KEM key column to a pre-suite-2 signed_prekey table, keeping its row", async () => {
		const { phone } = await register();
		await runInDurableObject(stubOf(phone), (_instance, state) => {
			const sql = state.storage.sql;
			// The signed_prekey table as objects created before suite 2 (2026-12-01) have it.
			sql.exec("DROP TABLE signed_prekey");
			sql.exec(
				"CREATE TABLE signed_prekey (id INTEGER PRIMARY KEY CHECK (id = 1), key_id INTEGER NOT NULL, public_key TEXT NOT NULL, signature TEXT NOT NULL)",
			);
			sql.exec("INSERT INTO signed_prekey VALUES (1, 7, 'pk', 'sig')");
			migrate(sql);
			migrate(sql);
			expect(
				sql.exec("SELECT key_id, public_key, signature, kem_public_key FROM signed_prekey").toArray(),
			).toEqual([{ key_id: 7, public_key: "pk", signature: "sig", kem_public_key: null }]);
			expect(sql.exec("SELECT count(*) AS n FROM kem_prekeys").one().n).toBe(0);
		});
	});

	it("a stored message sets the expiry alarm on the hour after its 30 days", async () => {
		const alice = await register();
		const bob = await register();
		const { socket: a } = await connectDrained(alice.phone, alice.token);
		const before = Date.now();
		a.send({ type: "send", id: messageId(), to: bob.phone, body: randomBody() });
		expect((await a.next("sent")).delivery).toBe("queued");
		const alarm = await runInDurableObject(stubOf(bob.phone), (_instance, state) => state.storage.getAlarm());
		expect(alarm).not.toBeNull();
		expect((alarm ?? 1) % HOUR_MS).toBe(0);
		expect(alarm ?? 0).toBeGreaterThanOrEqual(before + RETENTION_MS);
		expect(alarm ?? 0).toBeLessThanOrEqual(Date.now() + RETENTION_MS + HOUR_MS);
	});
});
