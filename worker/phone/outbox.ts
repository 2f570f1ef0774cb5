// Notices this phone owes other phones: delivery receipts (after its owner acked a message) and
// "resume" notices (after its full mailbox freed space). Written in the same turn as the ack, sent
// afterwards, and deleted only once the other phone's object has stored them; failures are retried
// by the alarm, so a receipt is never lost to a transient RPC error.
import { canonicalPhone, type E164 } from "../../protocol/wire/index.ts";

export type NoticeKind = "receipt" | "resume";

export interface Notice {
	kind: NoticeKind;
	messageId: string;
	at: number;
}

export interface OutboxBatch {
	target: E164;
	ids: number[];
	notices: Notice[];
}

export class Outbox {
	constructor(private readonly sql: SqlStorage) {}

	add(kind: NoticeKind, target: E164, messageId: string, at: number): void {
		this.sql.exec(
			"INSERT INTO outbox (kind, target, message_id, at) VALUES (?, ?, ?, ?)",
			kind,
			target,
			messageId,
			at,
		);
	}

	/** Pending notices grouped by target phone, so each target costs one RPC. */
	batches(): OutboxBatch[] {
		const byTarget = new Map<string, OutboxBatch>();
		const rows = this.sql
			.exec<{ id: number; kind: string; target: string; message_id: string; at: number }>(
				"SELECT id, kind, target, message_id, at FROM outbox ORDER BY id",
			)
			.toArray();
		for (const row of rows) {
			const target = canonicalPhone(row.target);
			if ((row.kind !== "receipt" && row.kind !== "resume") || target === null) continue;
			let batch = byTarget.get(target);
			if (!batch) {
				batch = { target, ids: [], notices: [] };
				byTarget.set(target, batch);
			}
			batch.ids.push(row.id);
			batch.notices.push({ kind: row.kind, messageId: row.message_id, at: row.at });
		}
		return [...byTarget.values()];
	}

	remove(ids: readonly number[]): void {
		for (const id of ids) this.sql.exec("DELETE FROM outbox WHERE id = ?", id);
	}

	isEmpty(): boolean {
		return this.sql.exec("SELECT 1 FROM outbox LIMIT 1").toArray().length === 0;
	}
}
