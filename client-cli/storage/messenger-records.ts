// valibot schemas for the messenger's own records (protocol/messenger/stores.ts) as the CLI stores them
// on disk: files are parsed, never cast, so a damaged or hand-edited file is reported by name.
import * as v from "valibot";
import { AttachmentPointer } from "../../protocol/messenger/attachments-content.ts";
import { USER_FACING_CODES, type UserFacingCode } from "../../protocol/messenger/codes.ts";
import { SYSTEM_EVENTS } from "../../protocol/messenger/stores.ts";
import { DELIVERY_NOTICE_REASONS } from "../../protocol/wire/delivery-notice.ts";
import { E164_PATTERN } from "../../protocol/wire/phone.ts";

const Phone = v.pipe(v.string(), v.regex(E164_PATTERN));
const Time = v.pipe(v.number(), v.integer());
const KeyText = v.pipe(v.string(), v.maxLength(200));
/**
 * A stored error code: one of the codes this version knows, or else (written by another version) the
 * generic `unknown_error`, so the file still loads and its stored message is shown.
 */
const ErrorCode = v.union([
	v.picklist(USER_FACING_CODES),
	v.pipe(
		v.string(),
		v.transform((): UserFacingCode => "unknown_error"),
	),
]);

export const AccountJson = v.strictObject({
	v: v.literal(1),
	phone: Phone,
	token: v.pipe(v.string(), v.minLength(20), v.maxLength(200)),
	relayUrl: v.pipe(v.string(), v.url()),
	registeredAt: Time,
});

export const PendingVerificationJson = v.strictObject({
	v: v.literal(1),
	phone: Phone,
	relayUrl: v.pipe(v.string(), v.url()),
	expiresAt: Time,
	resendAt: Time,
});

export const IdentityChangeJson = v.strictObject({
	type: v.literal("identity_changed"),
	phone: Phone,
	previous: v.strictObject({ signingKey: KeyText, dhKey: KeyText }),
	current: v.strictObject({ signingKey: KeyText, dhKey: KeyText, dhKeySignature: KeyText }),
	previouslyVerified: v.boolean(),
});

export const ContactJson = v.strictObject({
	v: v.literal(1),
	phone: Phone,
	name: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))),
	unread: v.pipe(v.number(), v.integer(), v.minValue(0)),
	lastAt: Time,
	lastText: v.string(),
	lastCountedId: v.optional(v.pipe(v.string(), v.maxLength(64))),
	pendingIdentityChange: v.optional(IdentityChangeJson),
	rejectedIdentityChange: v.optional(IdentityChangeJson),
});

export const HistoryEntryJson = v.strictObject({
	v: v.literal(1),
	peer: Phone,
	id: v.pipe(v.string(), v.maxLength(64)),
	direction: v.picklist(["in", "out", "system"]),
	text: v.string(),
	attachment: v.optional(AttachmentPointer),
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

export const HistoryFileJson = v.strictObject({
	kind: v.literal("friendly.history"),
	v: v.literal(1),
	peer: Phone,
	entries: v.array(HistoryEntryJson),
});
