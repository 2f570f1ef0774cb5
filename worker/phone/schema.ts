import { ATTACHMENTS_TABLE } from "../attachments/attachment-ledger.ts";

// SQLite schema of one phone's Durable Object. Everything a phone owns lives here: its pending
// verification code, registration, tokens, published keys, mailbox, outbox and push subscriptions.

const DELIVERED_TABLE = `CREATE TABLE IF NOT EXISTS delivered (
		peer TEXT NOT NULL,
		message_id TEXT NOT NULL,
		expires_at INTEGER NOT NULL,
		PRIMARY KEY (peer, message_id)
	) WITHOUT ROWID`;

const MAILBOX_TABLE = `CREATE TABLE IF NOT EXISTS mailbox (
		seq INTEGER PRIMARY KEY,
		kind TEXT NOT NULL,
		peer TEXT NOT NULL,
		message_id TEXT NOT NULL,
		body TEXT NOT NULL,
		size INTEGER NOT NULL,
		at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	)`;

const STATEMENTS = [
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
	`CREATE TABLE IF NOT EXISTS verification (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		code_hash TEXT NOT NULL,
		expires_at INTEGER NOT NULL,
		checks_left INTEGER NOT NULL
	)`,
	"CREATE TABLE IF NOT EXISTS code_requests (requested_at INTEGER NOT NULL)",
	`CREATE TABLE IF NOT EXISTS registration (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		signing_key TEXT NOT NULL,
		dh_key TEXT NOT NULL,
		dh_key_signature TEXT NOT NULL,
		registered_at INTEGER NOT NULL
	)`,
	"CREATE TABLE IF NOT EXISTS tokens (token_hash TEXT PRIMARY KEY, created_at INTEGER NOT NULL)",
	`CREATE TABLE IF NOT EXISTS signed_prekey (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		key_id INTEGER NOT NULL,
		public_key TEXT NOT NULL,
		signature TEXT NOT NULL,
		kem_public_key TEXT
	)`,
	"CREATE TABLE IF NOT EXISTS one_time_prekeys (key_id INTEGER PRIMARY KEY, public_key TEXT NOT NULL)",
	// Suite 2's one-time ML-KEM-768 prekeys (the last-resort one is signed_prekey.kem_public_key).
	"CREATE TABLE IF NOT EXISTS kem_prekeys (key_id INTEGER PRIMARY KEY, public_key TEXT NOT NULL, signature TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS bundle_fetches (requester TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at INTEGER NOT NULL)",
	// One row written per entry, nothing else: no AUTOINCREMENT (its counter row was a second write;
	// seqs come from the clock instead, Mailbox.nextSeq, and still never repeat), no UNIQUE
	// (kind, peer, message_id) index (a third write; the object keeps that index in memory, loaded
	// once per wake-up, since it is the only writer), and no index on expires_at here or in
	// `delivered`: every index is a row written per message (the dominant cost, docs/PERFORMANCE.md
	// §Cost model), and expiry runs at most hourly (see expiryAlarmAt), where scanning a capped mailbox
	// and 30 days of ids is cheap.
	MAILBOX_TABLE,
	// Messages acknowledged before 2026-12-01 (evening), remembered for the retention period so a
	// resend was not delivered again. No longer written (two rows per message: the insert and its
	// expiry) since the clients' own replay detection drops a repeat (docs/PROTOCOL.md §Mailbox rules);
	// kept until its last rows expire (Mailbox.expire).
	DELIVERED_TABLE,
	// The mailbox's seq high-water (Mailbox, "Seqs"): every seq handed out is below it or still held by
	// a row of `mailbox`. One row with an INTEGER PRIMARY KEY (the rowid): an update writes one row.
	// Added 2026-12-01; an object without it reads it as 0 and its first seqs keep the clock margin.
	`CREATE TABLE IF NOT EXISTS mailbox_seq (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		high INTEGER NOT NULL
	)`,
	"CREATE TABLE IF NOT EXISTS refused_senders (phone TEXT PRIMARY KEY)",
	// The send limit's checkpoints (send-limit.ts); WITHOUT ROWID: one row written per checkpoint.
	`CREATE TABLE IF NOT EXISTS send_buckets (
		recipient TEXT PRIMARY KEY,
		tokens REAL NOT NULL,
		updated_at INTEGER NOT NULL
	) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS outbox (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		kind TEXT NOT NULL,
		target TEXT NOT NULL,
		message_id TEXT NOT NULL,
		at INTEGER NOT NULL
	)`,
	// Web Push subscriptions (worker/push/push-subscriptions.ts), at most MAX_PUSH_SUBSCRIPTIONS, with
	// the state of the push each one is owed: due_at (null: none owed), failed attempts, last success.
	`CREATE TABLE IF NOT EXISTS push_subscriptions (
		endpoint TEXT PRIMARY KEY,
		p256dh TEXT NOT NULL,
		auth TEXT NOT NULL,
		updated_at INTEGER NOT NULL,
		due_at INTEGER,
		attempts INTEGER NOT NULL DEFAULT 0,
		last_sent_at INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID`,
	// The attachment blobs this phone uploaded: its daily quota and their expiry (attachment-ledger.ts).
	ATTACHMENTS_TABLE,
];

export function migrate(sql: SqlStorage): void {
	rebuildDeliveredWithoutRowid(sql);
	rebuildMailboxOneRowPerEntry(sql);
	for (const statement of STATEMENTS) sql.exec(statement);
	addSignedPrekeyKemColumn(sql);
	// Indexes of the first schema, dropped to write fewer rows per message.
	sql.exec("DROP INDEX IF EXISTS mailbox_expiry");
	sql.exec("DROP INDEX IF EXISTS delivered_expiry");
}

/** Objects created before suite 2 (2026-12-01) have no last-resort KEM key column: added once, empty. */
function addSignedPrekeyKemColumn(sql: SqlStorage): void {
	const table = sql
		.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'signed_prekey'")
		.toArray()[0];
	if (!table || /kem_public_key/.test(table.sql)) return;
	sql.exec("ALTER TABLE signed_prekey ADD COLUMN kem_public_key TEXT");
}

/** Objects created before 2026-11-28 have a rowid `delivered` table: rebuilt once, keeping its ids. */
function rebuildDeliveredWithoutRowid(sql: SqlStorage): void {
	const existing = sql
		.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'delivered'")
		.toArray()[0];
	if (!existing || /WITHOUT ROWID/i.test(existing.sql)) return;
	sql.exec(DELIVERED_TABLE.replace("IF NOT EXISTS delivered", "delivered_rebuilt"));
	sql.exec(
		"INSERT OR IGNORE INTO delivered_rebuilt (peer, message_id, expires_at) SELECT peer, message_id, expires_at FROM delivered",
	);
	sql.exec("DROP TABLE delivered");
	sql.exec("ALTER TABLE delivered_rebuilt RENAME TO delivered");
}

/**
 * Objects created before 2026-12-01 have an AUTOINCREMENT mailbox with a UNIQUE index (three rows
 * written per entry): rebuilt once, keeping every entry under its seq, so a stored mailbox stays
 * readable and an ack of a seq its owner already holds still finds it. New seqs come from the clock
 * (far above the old counter's), so none is reused.
 */
function rebuildMailboxOneRowPerEntry(sql: SqlStorage): void {
	const existing = sql
		.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'mailbox'")
		.toArray()[0];
	if (!existing || !/AUTOINCREMENT|UNIQUE/i.test(existing.sql)) return;
	sql.exec(MAILBOX_TABLE.replace("IF NOT EXISTS mailbox", "mailbox_rebuilt"));
	sql.exec(
		"INSERT INTO mailbox_rebuilt (seq, kind, peer, message_id, body, size, at, expires_at) SELECT seq, kind, peer, message_id, body, size, at, expires_at FROM mailbox",
	);
	sql.exec("DROP TABLE mailbox");
	sql.exec("ALTER TABLE mailbox_rebuilt RENAME TO mailbox");
}
