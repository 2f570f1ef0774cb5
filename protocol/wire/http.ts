// HTTP request and response bodies of the relay (docs/PROTOCOL.md §HTTP routes). Requests are strict
// (unknown fields rejected); responses are parsed leniently by clients so the relay can add fields.
import * as v from "valibot";
import { RELAY_ERROR_CODES } from "./errors.ts";
import {
	IdentityKeys,
	KemPrekey,
	MAX_KEM_PREKEYS_HELD,
	MAX_KEM_PREKEYS_PER_UPLOAD,
	MAX_ONE_TIME_PREKEYS_HELD,
	MAX_ONE_TIME_PREKEYS_PER_UPLOAD,
	OneTimePrekey,
	SignedPrekey,
} from "./keys.ts";
import { KeyId, Phone, VerificationCode } from "./primitives.ts";

export const CODE_DELIVERY_METHODS = ["echo", "console", "webhook"] as const;
export type CodeDeliveryMethod = (typeof CODE_DELIVERY_METHODS)[number];

// POST /v1/verification/request
export const CodeRequest = v.strictObject({ phone: Phone });
export type CodeRequest = v.InferOutput<typeof CodeRequest>;

export const CodeRequestResponse = v.object({
	phone: Phone,
	delivery: v.picklist(CODE_DELIVERY_METHODS),
	/** Seconds until the code expires. */
	expiresIn: v.number(),
	/** Seconds before another code may be requested for this phone. */
	resendAfter: v.number(),
	/** Present only with `echo` delivery, which is for local development. */
	code: v.optional(VerificationCode),
});
export type CodeRequestResponse = v.InferOutput<typeof CodeRequestResponse>;

// POST /v1/verification/confirm
export const CodeConfirmation = v.strictObject({
	phone: Phone,
	code: VerificationCode,
	identity: IdentityKeys,
});
export type CodeConfirmation = v.InferOutput<typeof CodeConfirmation>;

export const RegistrationResponse = v.object({
	phone: Phone,
	/** Bearer token for HTTP (`Authorization: Bearer …`) and the WebSocket hello frame. */
	token: v.pipe(v.string(), v.minLength(20), v.maxLength(200)),
	/** True when this replaced a different identity key (contacts will see a key change). */
	identityChanged: v.boolean(),
});
export type RegistrationResponse = v.InferOutput<typeof RegistrationResponse>;

// PUT /v1/keys
export const PrekeyUpload = v.strictObject({
	signedPrekey: v.optional(SignedPrekey),
	oneTimePrekeys: v.pipe(
		v.array(OneTimePrekey),
		v.maxLength(
			MAX_ONE_TIME_PREKEYS_PER_UPLOAD,
			`at most ${MAX_ONE_TIME_PREKEYS_PER_UPLOAD} one-time prekeys per upload`,
		),
	),
	/** Suite 2: one-time ML-KEM-768 prekeys. */
	kemPrekeys: v.optional(
		v.pipe(
			v.array(KemPrekey),
			v.maxLength(
				MAX_KEM_PREKEYS_PER_UPLOAD,
				`at most ${MAX_KEM_PREKEYS_PER_UPLOAD} one-time KEM prekeys per upload`,
			),
		),
	),
});
export type PrekeyUpload = v.InferOutput<typeof PrekeyUpload>;

// PUT /v1/keys and GET /v1/keys
export const PrekeyStatus = v.object({
	oneTimePrekeys: v.number(),
	/**
	 * The ids of the one-time prekeys the relay still holds (ascending): the client deletes its private
	 * halves of the others once they are old enough (docs/E2E-PROTOCOL.md §Prekeys).
	 */
	oneTimePrekeyIds: v.pipe(v.array(KeyId), v.maxLength(MAX_ONE_TIME_PREKEYS_HELD)),
	signedPrekeyId: v.nullable(v.number()),
	/** Suite 2: whether the signed prekey carries its last-resort KEM key (absent from older relays). */
	signedPrekeyKem: v.optional(v.boolean()),
	/** Suite 2: the one-time KEM prekeys the relay holds, like oneTimePrekeyIds. */
	kemPrekeyIds: v.optional(v.pipe(v.array(KeyId), v.maxLength(MAX_KEM_PREKEYS_HELD))),
});
export type PrekeyStatus = v.InferOutput<typeof PrekeyStatus>;

export const HealthResponse = v.object({ ok: v.literal(true), protocol: v.number() });

/** Every non-2xx answer has this body. */
export const ErrorBody = v.object({
	error: v.object({
		code: v.picklist(RELAY_ERROR_CODES),
		message: v.string(),
		retryAfter: v.optional(v.number()),
		attemptsLeft: v.optional(v.number()),
	}),
});
export type ErrorBody = v.InferOutput<typeof ErrorBody>;
