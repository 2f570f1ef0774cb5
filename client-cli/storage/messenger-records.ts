// valibot schemas for the messenger's own records (protocol/messenger/stores.ts) as the CLI stores them
// on disk: files are parsed, never cast, so a damaged or hand-edited file is reported by name.
import * as v from "valibot";
import {
	ContactNameSchema,
	HistoryEntrySchema,
	PhoneSchema,
	TimeSchema,
} from "../../protocol/messenger/record-schemas.ts";

const Phone = PhoneSchema;
const Time = TimeSchema;
const KeyText = v.pipe(v.string(), v.maxLength(200));

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
	name: v.optional(ContactNameSchema),
	unread: v.pipe(v.number(), v.integer(), v.minValue(0)),
	lastAt: Time,
	lastText: v.string(),
	lastCountedId: v.optional(v.pipe(v.string(), v.maxLength(64))),
	pendingIdentityChange: v.optional(IdentityChangeJson),
	rejectedIdentityChange: v.optional(IdentityChangeJson),
});

export const HistoryEntryJson = HistoryEntrySchema;

export const HistoryFileJson = v.strictObject({
	kind: v.literal("friendly.history"),
	v: v.literal(1),
	peer: Phone,
	entries: v.array(HistoryEntryJson),
});
