// The attachment blobs one phone uploaded, kept by its Durable Object (docs/PROTOCOL.md §Attachments):
// the daily quota is exact because every upload of the phone reserves its size here first, and expiry
// is exact because the object's alarm deletes each blob from R2 when its 30 days are up (the bucket's
// lifecycle rule, docs/DEPLOY.md, is the backstop).
//
// A row is written when an upload starts (`uploading`, counted against the quota, expiring in an hour)
// and confirmed when R2 has the whole blob (`stored`, expiring in 30 days). A failed upload removes its
// row at once (and the quota it took); one whose Worker died mid-way is removed by the alarm an hour later,
// with whatever R2 may hold under its id. A blob deleted on the day it was uploaded (only a test relay's
// short retention allows that) keeps its row, as `gone`, until the day is over: it still counts against
// that day's quota, which stays exact whatever the retention.
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { failure, type Outcome, success } from "../relay-error.ts";

/** An unconfirmed upload's row lives this long: far beyond the time a 100 MiB request can take. */
export const UPLOAD_WINDOW_MS = 3_600_000;
const DAY_MS = 86_400_000;

export const ATTACHMENTS_TABLE = `CREATE TABLE IF NOT EXISTS attachments (
		id TEXT PRIMARY KEY,
		size INTEGER NOT NULL,
		state TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	) WITHOUT ROWID`;

export interface AttachmentQuota {
	readonly perDay: number;
	readonly bytesPerDay: number;
	/** How long a stored blob is kept (ATTACHMENT_RETENTION_MS, 30 days, unless a test relay says less). */
	readonly retentionMs: number;
}

export interface Reservation {
	readonly id: string;
	readonly expiresAt: number;
}

type SqlExec = Pick<SqlStorage, "exec">;

/** The R2 key of a blob: a prefix, so the lifecycle rule can name exactly these objects. */
export const blobKey = (id: string): string => `attachments/${id}`;

export class AttachmentLedger {
	constructor(
		private readonly sql: SqlExec,
		private readonly quota: AttachmentQuota,
		private readonly randomId: () => string = () =>
			encodeBase64Url(crypto.getRandomValues(new Uint8Array(16))),
	) {}

	/** Reserves a blob of `size` bytes within today's quota (UTC day); the id is fresh and 128-bit random. */
	reserve(size: number, now: number): Outcome<Reservation> {
		const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
		const used = this.sql
			.exec<{ count: number; bytes: number | null }>(
				"SELECT COUNT(*) AS count, SUM(size) AS bytes FROM attachments WHERE created_at >= ?",
				dayStart,
			)
			.one();
		const retryAfter = Math.ceil((dayStart + DAY_MS - now) / 1000);
		if (used.count + 1 > this.quota.perDay) {
			return failure(
				"quota_exceeded",
				`Daily limit of ${this.quota.perDay} files reached; it resets at midnight UTC.`,
				{ retryAfter },
			);
		}
		if ((used.bytes ?? 0) + size > this.quota.bytesPerDay) {
			return failure(
				"quota_exceeded",
				`Daily limit of ${formatBytes(this.quota.bytesPerDay)} of files reached (${formatBytes(used.bytes ?? 0)} used today); it resets at midnight UTC.`,
				{ retryAfter },
			);
		}
		const id = this.randomId();
		this.sql.exec(
			"INSERT INTO attachments (id, size, state, created_at, expires_at) VALUES (?, ?, 'uploading', ?, ?)",
			id,
			size,
			now,
			now + UPLOAD_WINDOW_MS,
		);
		return success({ id, expiresAt: now + this.quota.retentionMs });
	}

	/** R2 holds the whole blob: it is kept for the retention period from now. */
	confirm(id: string, now: number): number | null {
		const expiresAt = now + this.quota.retentionMs;
		const changed = this.sql.exec(
			"UPDATE attachments SET state = 'stored', expires_at = ? WHERE id = ? AND state = 'uploading'",
			expiresAt,
			id,
		).rowsWritten;
		return changed > 0 ? expiresAt : null;
	}

	/** The upload failed: nothing of it is kept, and its quota is given back. */
	release(id: string): void {
		this.sql.exec("DELETE FROM attachments WHERE id = ? AND state = 'uploading'", id);
	}

	/** The ids due for deletion from R2 (expired blobs, abandoned uploads), at most 1000 at a time. */
	due(now: number): string[] {
		return this.sql
			.exec<{ id: string }>("SELECT id FROM attachments WHERE expires_at <= ? LIMIT 1000", now)
			.toArray()
			.map((row) => row.id);
	}

	/** Called once R2 deleted them (the whole account is going): a failed deletion is tried again. */
	forget(ids: readonly string[]): void {
		for (const id of ids) this.sql.exec("DELETE FROM attachments WHERE id = ?", id);
	}

	/**
	 * Called once R2 deleted expired ones: rows of an earlier day go; today's stay as `gone` until the day
	 * is over, still counted by today's quota (the next alarm then finds them due and removes them).
	 */
	expired(ids: readonly string[], now: number): void {
		const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
		for (const id of ids) {
			this.sql.exec("DELETE FROM attachments WHERE id = ? AND created_at < ?", id, dayStart);
			this.sql.exec(
				"UPDATE attachments SET state = 'gone', expires_at = ? WHERE id = ?",
				dayStart + DAY_MS,
				id,
			);
		}
	}

	/** When the next blob or abandoned upload is due (null: none). */
	nextExpiry(): number | null {
		return this.sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM attachments").one().at;
	}
}

function formatBytes(bytes: number): string {
	if (bytes >= 1024 * 1024 * 1024) return `${(bytes / (1024 * 1024 * 1024)).toFixed(1)} GiB`;
	return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
