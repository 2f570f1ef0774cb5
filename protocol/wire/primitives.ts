// Field schemas shared by every HTTP body and WebSocket frame (docs/PROTOCOL.md §Encoding).
import * as v from "valibot";
import { decodeBase64Url } from "../encoding/base64url.ts";
import { normalisePhone } from "./phone.ts";

/** Any human spelling of a phone number in, canonical E.164 out. */
export const Phone = v.pipe(
	v.string("phone must be a string"),
	v.maxLength(40, "phone is too long"),
	v.rawTransform(({ dataset, addIssue, NEVER }) => {
		const result = normalisePhone(dataset.value);
		if (!result.ok) {
			addIssue({ message: result.reason });
			return NEVER;
		}
		return result.phone;
	}),
);

/** Canonical base64url (RFC 4648 §5, no padding) decoding to exactly `length` bytes, kept as text. */
export function base64UrlBytes(length: number, what: string) {
	return v.pipe(
		v.string(`${what} must be a base64url string`),
		v.check(
			(text) => decodeBase64Url(text)?.length === length,
			`${what} must be ${length} bytes in base64url`,
		),
	);
}

/** Canonical base64url of any length up to `maxBytes`, kept as text. */
export function base64UrlBlob(maxBytes: number, what: string) {
	return v.pipe(
		v.string(`${what} must be a base64url string`),
		v.maxLength(Math.ceil((maxBytes * 4) / 3), `${what} is larger than ${maxBytes} bytes`),
		v.check(
			(text) => text.length > 0 && decodeBase64Url(text) !== null,
			`${what} must be non-empty base64url`,
		),
	);
}

/** P-256 public key, SEC1 uncompressed point (0x04 || X || Y): 65 bytes. Curve membership is checked on import. */
export const P256PublicKey = v.pipe(
	base64UrlBytes(65, "public key"),
	v.check((text) => decodeBase64Url(text)?.[0] === 0x04, "public key must be an uncompressed P-256 point"),
);

/** ECDSA P-256 signature in IEEE P1363 form (r || s): 64 bytes. */
export const P256Signature = base64UrlBytes(64, "signature");

export const KeyId = v.pipe(
	v.number("keyId must be a number"),
	v.integer("keyId must be an integer"),
	v.minValue(0),
	v.maxValue(0xffffffff),
);

/** Client-chosen message id: unique per sender and recipient; a resend with the same id is stored once. */
export const MessageId = v.pipe(
	v.string("id must be a string"),
	v.regex(/^[A-Za-z0-9_-]{1,64}$/, "id must be 1-64 characters of A-Z a-z 0-9 _ -"),
);

export const VerificationCode = v.pipe(
	v.string("code must be a string"),
	v.regex(/^[0-9]{6}$/, "code must be 6 digits"),
);

export const Seq = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));

export const EpochMillis = v.pipe(v.number(), v.integer(), v.minValue(0));
