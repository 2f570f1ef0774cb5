// valibot schemas for the messenger's own records (stores.ts) wherever they leave memory: the CLI's
// files on disk and the entries of a backup (backup-payload.ts). One definition, so a field added to a
// history entry is stored and backed up alike; both are parsed, never cast.
import * as v from "valibot";
import { DELIVERY_NOTICE_REASONS } from "../wire/delivery-notice.ts";
import { E164_PATTERN } from "../wire/phone.ts";
import { AttachmentPointer } from "./attachments-content.ts";
import { USER_FACING_CODES, type UserFacingCode } from "./codes.ts";
import { SYSTEM_EVENTS } from "./stores.ts";

export const PhoneSchema = v.pipe(v.string(), v.regex(E164_PATTERN));
export const TimeSchema = v.pipe(v.number(), v.integer());

/**
 * A stored error code: one of the codes this version knows, or else (written by another version) the
 * generic `unknown_error`, so the record still loads and its stored message is shown.
 */
export const ErrorCodeSchema = v.union([
	v.picklist(USER_FACING_CODES),
	v.pipe(
		v.string(),
		v.transform((): UserFacingCode => "unknown_error"),
	),
]);

/** A contact's local name (names.ts validates what the user types; this bounds what is read back). */
export const ContactNameSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(256));

export const HistoryEntrySchema = v.strictObject({
	v: v.literal(1),
	peer: PhoneSchema,
	id: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
	direction: v.picklist(["in", "out", "system"]),
	text: v.string(),
	attachment: v.optional(AttachmentPointer),
	at: TimeSchema,
	status: v.picklist(["sending", "sent", "queued", "delivered", "failed", "received"]),
	error: v.optional(
		v.strictObject({
			code: ErrorCodeSchema,
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
