// SQLite schema of one phone's Durable Object. Everything a phone owns lives here: its pending
// verification code, registration, tokens, published keys, mailbox and outbox.

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
		signature TEXT NOT NULL
	)`,
	"CREATE TABLE IF NOT EXISTS one_time_prekeys (key_id INTEGER PRIMARY KEY, public_key TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS bundle_fetches (requester TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at INTEGER NOT NULL)",
	`CREATE TABLE IF NOT EXISTS mailbox (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		kind TEXT NOT NULL,
		peer TEXT NOT NULL,
		message_id TEXT NOT NULL,
		body TEXT NOT NULL,
		size INTEGER NOT NULL,
		at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		UNIQUE (kind, peer, message_id)
	)`,
	"CREATE INDEX IF NOT EXISTS mailbox_expiry ON mailbox (expires_at)",
	// Messages already acknowledged, remembered for the retention period so a sender's resend (same
	// id) is not delivered a second time after it left the mailbox.
	`CREATE TABLE IF NOT EXISTS delivered (
		peer TEXT NOT NULL,
		message_id TEXT NOT NULL,
		expires_at INTEGER NOT NULL,
		PRIMARY KEY (peer, message_id)
	)`,
	"CREATE INDEX IF NOT EXISTS delivered_expiry ON delivered (expires_at)",
	"CREATE TABLE IF NOT EXISTS refused_senders (phone TEXT PRIMARY KEY)",
	`CREATE TABLE IF NOT EXISTS outbox (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		kind TEXT NOT NULL,
		target TEXT NOT NULL,
		message_id TEXT NOT NULL,
		at INTEGER NOT NULL
	)`,
];

export function migrate(sql: SqlStorage): void {
	for (const statement of STATEMENTS) sql.exec(statement);
}
