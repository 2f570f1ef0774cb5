// The usage meter (worker/durable-objects/usage-meter.ts) on a phone object's real SQLite: what it
// reports is workerd's own rowsWritten/rowsRead, one report each time the object goes idle, with
// requests, WebSocket messages, alarms set and active time counted the way Cloudflare bills them.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Usage } from "../../worker/durable-objects/usage-line.ts";
import { UsageMeter } from "../../worker/durable-objects/usage-meter.ts";
import { newE164 } from "./helpers/phones.ts";

function inObject<R>(callback: (state: DurableObjectState) => Promise<R>): Promise<R> {
	return runInDurableObject(env.PHONE.getByName(newE164()), (_instance, state) => callback(state));
}

describe("usage meter", () => {
	it("reports workerd's rows written and read per idle point, requests and WebSocket messages apart", async () => {
		const reports = await inObject(async (state) => {
			const reports: Usage[] = [];
			const meter = new UsageMeter((usage) => reports.push({ ...usage }));
			// Schema changes write rows of SQLite's own (counted too, had they gone through the meter).
			state.storage.sql.exec("CREATE TABLE meter_probe (k INTEGER PRIMARY KEY, v TEXT)");
			const sql = meter.sql(state.storage.sql);
			await meter.event("request", async () => {
				sql.exec("INSERT INTO meter_probe (k, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')");
				// Overlapping events are one busy span and one report.
				await meter.event("webSocketMessage", async () => {
					sql.exec("DELETE FROM meter_probe WHERE k = 1");
				});
			});
			await meter.event("webSocketMessage", async () => {
				expect(sql.exec("SELECT v FROM meter_probe ORDER BY k").toArray()).toEqual([{ v: "b" }, { v: "c" }]);
			});
			// A pending timer keeps the object awake (billed) and reports when it ends, once.
			const awake = meter.keepAwake();
			await new Promise((resolve) => setTimeout(resolve, 20));
			awake();
			awake();
			return reports;
		});
		expect(reports).toHaveLength(3);
		const [first, second, third] = reports;
		expect(first).toMatchObject({ requests: 1, webSocketMessages: 1, rowsWritten: 3 + 1, alarmsSet: 0 });
		expect(second).toMatchObject({ requests: 0, webSocketMessages: 1, rowsWritten: 0, rowsRead: 2 });
		expect(third).toMatchObject({ requests: 0, webSocketMessages: 0, rowsWritten: 0 });
		expect(third?.activeMs).toBeGreaterThanOrEqual(20);
	});

	it("counts each alarm set through the metered storage, and passes every other storage call through", async () => {
		const reports = await inObject(async (state) => {
			const reports: Usage[] = [];
			const meter = new UsageMeter((usage) => reports.push({ ...usage }));
			state.storage.sql.exec("CREATE TABLE meter_probe2 (k INTEGER PRIMARY KEY)");
			const storage = meter.storage(state.storage);
			await meter.event("request", async () => {
				await storage.setAlarm(Date.now() + 60_000);
				await storage.setAlarm(Date.now() + 30_000);
				expect(await storage.getAlarm()).toBeGreaterThan(Date.now());
				storage.sql.exec("INSERT INTO meter_probe2 (k) VALUES (1)");
				await storage.deleteAlarm();
			});
			return reports;
		});
		expect(reports).toEqual([expect.objectContaining({ requests: 1, alarmsSet: 2, rowsWritten: 1 })]);
	});
});
