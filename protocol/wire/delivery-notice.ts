// The delivery notice (docs/E2E-PROTOCOL.md §Delivery notices): what a recipient's client sends back,
// end to end, when it could not show a message — it has no session for it, the prekey it names is gone,
// the session was retired, decryption failed, or the user rejected the sender's new key. Modelled on
// Signal's DecryptionErrorMessage. It travels as an ordinary relay message (its own id) whose body is:
//
//   offset size field
//   0      1    version (1)
//   1      1    type 3 = delivery notice (a message is 1 or 2: the two can never be confused)
//   2      65   notifier's identity signing key (ECDSA P-256)
//   67     65   notifier's identity DH key
//   132    64   signature of the DH key by the signing key
//   196    1    reason (DELIVERY_NOTICE_REASONS, 1-based)
//   197    16   session id of the envelope that failed (zeros when it named none)
//   213    1    length of the failed message's id (1..64)
//   214    n    the failed message's relay id (ASCII)
//   then   64   ECDSA P-256 signature (envelope signature, protocol/crypto/envelope-signature.ts, over
//               sender, recipient, this notice's own id and all bytes above as the header, no ciphertext)
//
// Nothing in it is secret (the relay already knows a message went unacknowledged), so it is signed, not
// encrypted; the identity keys let a receiver that pinned another key for the notifier recognise a key
// change instead of a forgery.
import * as v from "valibot";
import type { Bytes } from "../encoding/bytes.ts";
import {
	byteString,
	ENVELOPE_SIGNATURE_BYTES,
	ENVELOPE_VERSION,
	point,
	SESSION_ID_LENGTH,
	TYPE_DELIVERY_NOTICE,
} from "./envelope.ts";
import { MessageId } from "./primitives.ts";

/** Why a message was not shown; the closed set a notice can carry. */
export const DELIVERY_NOTICE_REASONS = [
	/** The recipient has no session for it (e.g. the sender's earlier install wrote to this phone). */
	"no_session",
	/** The message set a session up with a prekey the recipient no longer holds. */
	"unknown_prekey",
	/** The session was retired (a key change was accepted since) or the message key is gone. */
	"old_message",
	/** Too many messages skipped in one chain. */
	"too_far_ahead",
	/** Authenticated by the sender's key but did not decrypt (state out of step). */
	"decrypt_failed",
	/** The recipient's user rejected the sender's new identity key. */
	"identity_rejected",
] as const;
export type DeliveryNoticeReason = (typeof DELIVERY_NOTICE_REASONS)[number];

const NOTICE_FIXED_BYTES = 214;

export const DeliveryNotice = v.strictObject({
	identity: v.strictObject({
		signingKey: point("identity signing key"),
		dhKey: point("identity DH key"),
		dhKeySignature: byteString(64, "identity DH key signature"),
	}),
	reason: v.picklist(DELIVERY_NOTICE_REASONS),
	session: byteString(SESSION_ID_LENGTH, "session id"),
	about: MessageId,
	signature: byteString(ENVELOPE_SIGNATURE_BYTES, "signature"),
});
export type DeliveryNotice = v.InferOutput<typeof DeliveryNotice>;
export type DeliveryNoticeFields = Omit<DeliveryNotice, "signature">;

/** The signed part of a notice (everything before the signature). */
export function encodeDeliveryNoticeBody(notice: DeliveryNoticeFields): Bytes {
	const id = new TextEncoder().encode(notice.about);
	const out = new Uint8Array(NOTICE_FIXED_BYTES + id.length);
	out[0] = ENVELOPE_VERSION;
	out[1] = TYPE_DELIVERY_NOTICE;
	out.set(notice.identity.signingKey, 2);
	out.set(notice.identity.dhKey, 67);
	out.set(notice.identity.dhKeySignature, 132);
	out[196] = DELIVERY_NOTICE_REASONS.indexOf(notice.reason) + 1;
	out.set(notice.session, 197);
	out[213] = id.length;
	out.set(id, 214);
	return out;
}

export type DeliveryNoticeRead =
	| { readonly ok: true; readonly notice: DeliveryNotice; readonly signed: Bytes }
	| { readonly ok: false; readonly message: string };

/** Reads the layout above and validates every field with the DeliveryNotice schema. */
export function readDeliveryNotice(bytes: Bytes): DeliveryNoticeRead {
	if (bytes.length < NOTICE_FIXED_BYTES + 1 + ENVELOPE_SIGNATURE_BYTES)
		return { ok: false, message: "the notice is too short" };
	if (bytes[0] !== ENVELOPE_VERSION || bytes[1] !== TYPE_DELIVERY_NOTICE)
		return { ok: false, message: "not a delivery notice" };
	const idLength = bytes[213] ?? 0;
	if (bytes.length !== NOTICE_FIXED_BYTES + idLength + ENVELOPE_SIGNATURE_BYTES)
		return { ok: false, message: "the notice's length does not match its message id" };
	const signedLength = NOTICE_FIXED_BYTES + idLength;
	const parsed = v.safeParse(DeliveryNotice, {
		identity: {
			signingKey: bytes.slice(2, 67),
			dhKey: bytes.slice(67, 132),
			dhKeySignature: bytes.slice(132, 196),
		},
		reason: DELIVERY_NOTICE_REASONS[(bytes[196] ?? 0) - 1],
		session: bytes.slice(197, 213),
		about: new TextDecoder().decode(bytes.subarray(214, signedLength)),
		signature: bytes.slice(signedLength),
	});
	if (!parsed.success) return { ok: false, message: parsed.issues[0].message };
	return { ok: true, notice: parsed.output, signed: bytes.subarray(0, signedLength) };
}
