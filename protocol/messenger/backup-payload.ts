// What a backup holds, once decrypted (docs/PROTOCOL.md §Backup file): contacts with their local
// names, the keys pinned for them and whether they were verified, the message history (system entries
// included) and settings. Never ratchet or session state (a restored session would fork: both sides
// would reuse message keys), never prekeys, never the session token, and never this device's identity
// private keys (docs/SECURITY.md §Backups: a restore registers a new identity). Parsed with this
// schema after decryption, like every other input.
import * as v from "valibot";
import { DELIVERY_NOTICE_REASONS } from "../wire/delivery-notice.ts";
import { E164_PATTERN } from "../wire/phone.ts";
import { USER_FACING_CODES, type UserFacingCode } from "./codes.ts";
import { SYSTEM_EVENTS } from "./stores.ts";

export const BACKUP_PAYLOAD_VERSION = 1;

const Phone = v.pipe(v.string(), v.regex(E164_PATTERN));
const Time = v.pipe(v.number(), v.integer(), v.minValue(0));
const KeyText = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,200}$/));
const ErrorCode = v.union([
	v.picklist(USER_FACING_CODES),
	v.pipe(
		v.string(),
		v.transform((): UserFacingCode => "unknown_error"),
	),
]);

export const BackupContact = v.strictObject({
	phone: Phone,
	name: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))),
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

export const BackupEntry = v.strictObject({
	v: v.literal(1),
	peer: Phone,
	id: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
	direction: v.picklist(["in", "out", "system"]),
	text: v.string(),
	at: Time,
	status: v.picklist(["sending", "sent", "queued", "delivered", "failed", "received"]),
	error: v.optional(
		v.strictObject({
			code: ErrorCode,
			message: v.string(),
			reason: v.optional(v.picklist(DELIVERY_NOTICE_REASONS)),
		}),
	),
	redelivery: v.optional(v.picklist(["waiting", "sent"])),
	system: v.optional(
		v.strictObject({
			event: v.picklist(SYSTEM_EVENTS),
			reason: v.optional(v.picklist(DELIVERY_NOTICE_REASONS)),
			about: v.optional(v.pipe(v.string(), v.maxLength(64))),
		}),
	),
});

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
	 * Extension point for attachments (issue 14): references to encrypted blobs, carried once the
	 * attachment content type exists. Always empty in version 1; a reader of version 1 refuses others.
	 */
	attachments: v.pipe(v.array(v.never()), v.maxLength(0)),
});
export type BackupPayload = v.InferOutput<typeof BackupPayload>;
