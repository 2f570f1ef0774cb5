// What a backup holds, once decrypted (docs/PROTOCOL.md §Backup file): contacts with their local
// names, the keys pinned for them and whether they were verified, the message history (system entries
// included) and settings. Never ratchet or session state (a restored session would fork: both sides
// would reuse message keys), never prekeys, never the session token, and never this device's identity
// private keys (docs/SECURITY.md §Backups: a restore registers a new identity). Parsed with this
// schema after decryption, like every other input.
import * as v from "valibot";
import { ContactNameSchema, HistoryEntrySchema, PhoneSchema } from "./record-schemas.ts";

export const BACKUP_PAYLOAD_VERSION = 1;

const Phone = PhoneSchema;
const Time = v.pipe(v.number(), v.integer(), v.minValue(0));
const KeyText = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,200}$/));

export const BackupContact = v.strictObject({
	phone: Phone,
	name: v.optional(ContactNameSchema),
	lastAt: Time,
	lastText: v.string(),
});

/** The key pinned for a contact (public keys only), and whether the user had verified it. */
export const BackupTrustedKey = v.strictObject({
	phone: Phone,
	signingKey: KeyText,
	dhKey: KeyText,
	dhKeySignature: KeyText,
	firstSeenAt: Time,
	verified: v.boolean(),
});

/** A history entry as stored (attachment references included: the blob keys are inside the encrypted file). */
export const BackupEntry = HistoryEntrySchema;

export const BackupPayload = v.strictObject({
	kind: v.literal("friendly.backup"),
	v: v.literal(BACKUP_PAYLOAD_VERSION),
	createdAt: Time,
	/** The number backed up (a restore says whose history it is), and its relay. */
	phone: v.nullable(Phone),
	relayUrl: v.nullable(v.pipe(v.string(), v.maxLength(2048))),
	contacts: v.array(BackupContact),
	trusted: v.array(BackupTrustedKey),
	history: v.array(BackupEntry),
	/** Reserved for settings worth carrying over; none yet (the relay URL is above). */
	settings: v.strictObject({}),
	/**
	 * Reserved. Attachment references (issue 14) travel on their history entries (`attachment`: blob id,
	 * key, digest), so a restored history can still fetch a file until the relay expires it (30 days).
	 * Always empty in version 1; a reader of version 1 refuses others.
	 */
	attachments: v.pipe(v.array(v.never()), v.maxLength(0)),
});
export type BackupPayload = v.InferOutput<typeof BackupPayload>;
