// Reads a phone object's SQLite tables directly, to check what the relay really stored.
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { stubOf } from "./register.ts";

export function storedRows(phone: string, table: "mailbox" | "delivered" | "outbox"): Promise<number> {
	return runInDurableObject(
		stubOf(phone),
		(_instance, state) => state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n,
	);
}

/**
 * Waits until the table holds `rows` rows. Acknowledged entries are deleted with the object's next
 * write or within a second (worker/phone/mailbox.ts), not necessarily by the time the ack is answered.
 */
export async function expectStoredRows(
	phone: string,
	table: "mailbox" | "delivered" | "outbox",
	rows: number,
): Promise<void> {
	await expect.poll(() => storedRows(phone, table), { timeout: 3_000, interval: 50 }).toBe(rows);
}
