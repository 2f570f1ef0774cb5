// The end-to-end envelope: what a client puts in the relay's opaque `body` (docs/E2E-PROTOCOL.md
// §Envelope). body = base64url(header bytes ‖ ciphertext ‖ signature): a fixed binary layout, so the
// bytes the AEAD and the signature cover are exactly the bytes on the wire. The relay never looks inside.
// The recipient reads the layout with readEnvelope() and validates every field with the Envelope schema
// below (never casts) before anything else.
//
// Header layout (big-endian integers):
//   offset size field
//   0      1    version = suite id (1)
//   1      1    type: 1 = message, 2 = prekey message
//   2      16   session id
//   18     65   sender ratchet public key (SEC1 uncompressed P-256 point)
//   83     4    pn: messages in the sender's previous sending chain
//   87     4    n: message number in the current sending chain
//   -- prekey messages only (sent until the initiator hears back) --
//   91     65   sender identity signing key (ECDSA P-256)
//   156    65   sender identity DH key (ECDH P-256)
//   221    64   signature of the DH key by the signing key
//   285    4    signed prekey id used
//   289    1    1 if a one-time prekey was used, else 0
//   290    4    one-time prekey id (0 when none)
// Then the AES-256-GCM ciphertext ‖ 16-byte tag, then the 64-byte ECDSA P-256 (P1363) signature.
//
// Sender, recipient and message id are deliberately absent: they come from the relay frame and the
// recipient's own phone, and the signature covers them (protocol/crypto/envelope-signature.ts).
import * as v from "valibot";
import type { Bytes } from "../encoding/bytes.ts";
import { KeyId } from "./primitives.ts";

/** Envelope format and cipher-suite id (suite 1: P-256, ECDSA-SHA-256, HKDF/HMAC-SHA-256, AES-256-GCM). */
export const ENVELOPE_VERSION = 1;
export const MESSAGE_HEADER_BYTES = 91;
export const PREKEY_HEADER_BYTES = 294;
export const ENVELOPE_SIGNATURE_BYTES = 64;
export const ENVELOPE_TAG_BYTES = 16;
/** Largest ciphertext (plaintext + 16-byte tag) an envelope may carry; keeps `body` under the relay's ceiling. */
export const MAX_ENVELOPE_CIPHERTEXT_BYTES = 512 * 1024;
export const SESSION_ID_LENGTH = 16;

const TYPE_MESSAGE = 1;
const TYPE_PREKEY = 2;
/** A signed, unencrypted delivery notice (protocol/wire/delivery-notice.ts). */
export const TYPE_DELIVERY_NOTICE = 3;

/** What kind of envelope a body's first two bytes announce (no validation beyond that). */
export function envelopeKind(bytes: Bytes): "message" | "notice" | "unknown" {
	if (bytes.length < 2 || bytes[0] !== ENVELOPE_VERSION) return "unknown";
	if (bytes[1] === TYPE_DELIVERY_NOTICE) return "notice";
	return bytes[1] === TYPE_MESSAGE || bytes[1] === TYPE_PREKEY ? "message" : "unknown";
}

const isBytes = (input: unknown): input is Bytes =>
	input instanceof Uint8Array && input.buffer instanceof ArrayBuffer;

export function byteString(length: number, what: string) {
	return v.pipe(
		v.custom<Bytes>(isBytes, `${what} must be bytes`),
		v.length(length, `${what} must be ${length} bytes`),
	);
}

export function point(what: string) {
	return v.pipe(
		byteString(65, what),
		v.check((bytes) => bytes[0] === 0x04, `${what} must be an uncompressed P-256 point`),
	);
}

const Counter = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));

/** Present while the sender has not yet heard back in this session: lets the recipient set it up. */
export const PrekeyHeader = v.strictObject({
	/** The sender's identity keys (checked against the pinned ones, TOFU on first contact). */
	identity: v.strictObject({
		signingKey: point("identity signing key"),
		dhKey: point("identity DH key"),
		dhKeySignature: byteString(64, "identity DH key signature"),
	}),
	/** Which of the recipient's signed prekeys the sender used. */
	signedPrekeyId: KeyId,
	/** Which one-time prekey the sender used, if the bundle had one. */
	oneTimePrekeyId: v.optional(KeyId),
});
export type PrekeyHeader = v.InferOutput<typeof PrekeyHeader>;

export const Envelope = v.strictObject({
	v: v.literal(ENVELOPE_VERSION),
	/** Session id (16 bytes) derived at setup; selects among the sessions held for this peer. */
	session: byteString(SESSION_ID_LENGTH, "session id"),
	/** The sender's current ratchet public key. */
	ratchetKey: point("ratchet key"),
	pn: Counter,
	n: Counter,
	prekey: v.optional(PrekeyHeader),
	/** AES-256-GCM ciphertext ‖ tag. */
	ciphertext: v.pipe(
		v.custom<Bytes>(isBytes, "ciphertext must be bytes"),
		v.minLength(ENVELOPE_TAG_BYTES, "ciphertext must hold at least the 16-byte tag"),
		v.maxLength(MAX_ENVELOPE_CIPHERTEXT_BYTES, "ciphertext is too large"),
	),
	/** ECDSA P-256 (P1363) signature by the sender's identity signing key. */
	signature: byteString(ENVELOPE_SIGNATURE_BYTES, "signature"),
});
export type Envelope = v.InferOutput<typeof Envelope>;
export type EnvelopeHeader = Omit<Envelope, "v" | "ciphertext" | "signature">;

/** The header bytes of the layout above. */
export function encodeEnvelopeHeader(header: EnvelopeHeader): Bytes {
	const out = new Uint8Array(header.prekey ? PREKEY_HEADER_BYTES : MESSAGE_HEADER_BYTES);
	const view = new DataView(out.buffer);
	out[0] = ENVELOPE_VERSION;
	out[1] = header.prekey ? TYPE_PREKEY : TYPE_MESSAGE;
	out.set(header.session, 2);
	out.set(header.ratchetKey, 18);
	view.setUint32(83, header.pn);
	view.setUint32(87, header.n);
	if (header.prekey) {
		out.set(header.prekey.identity.signingKey, 91);
		out.set(header.prekey.identity.dhKey, 156);
		out.set(header.prekey.identity.dhKeySignature, 221);
		view.setUint32(285, header.prekey.signedPrekeyId);
		out[289] = header.prekey.oneTimePrekeyId === undefined ? 0 : 1;
		view.setUint32(290, header.prekey.oneTimePrekeyId ?? 0);
	}
	return out;
}

export type EnvelopeRead =
	| { readonly ok: true; readonly envelope: Envelope; readonly header: Bytes }
	| { readonly ok: false; readonly reason: "unsupported_version" | "malformed"; readonly message: string };

const malformed = (message: string): EnvelopeRead => ({ ok: false, reason: "malformed", message });

/**
 * Reads the binary layout and validates it with the Envelope schema. `header` is the exact header bytes
 * received (what the AEAD and the signature cover).
 */
export function readEnvelope(bytes: Bytes): EnvelopeRead {
	if (bytes.length < 2) return malformed("the envelope is too short");
	if (bytes[0] !== ENVELOPE_VERSION) {
		return {
			ok: false,
			reason: "unsupported_version",
			message: `envelope version ${bytes[0]} is not supported`,
		};
	}
	const type = bytes[1];
	if (type === TYPE_DELIVERY_NOTICE) return malformed("a delivery notice, not a message");
	if (type !== TYPE_MESSAGE && type !== TYPE_PREKEY) return malformed("unknown envelope type");
	const headerLength = type === TYPE_PREKEY ? PREKEY_HEADER_BYTES : MESSAGE_HEADER_BYTES;
	if (bytes.length < headerLength + ENVELOPE_TAG_BYTES + ENVELOPE_SIGNATURE_BYTES) {
		return malformed("the envelope is too short");
	}
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	let prekey: unknown;
	if (type === TYPE_PREKEY) {
		const flag = bytes[289];
		const oneTimePrekeyId = view.getUint32(290);
		if (flag !== 0 && flag !== 1) return malformed("bad one-time prekey flag");
		if (flag === 0 && oneTimePrekeyId !== 0) return malformed("a one-time prekey id without its flag");
		prekey = {
			// Copies (slice), not views: these fields end up in stored state, and a view would keep the
			// whole received buffer alive in it (IndexedDB's structured clone stores the whole buffer).
			identity: {
				signingKey: bytes.slice(91, 156),
				dhKey: bytes.slice(156, 221),
				dhKeySignature: bytes.slice(221, 285),
			},
			signedPrekeyId: view.getUint32(285),
			...(flag === 1 ? { oneTimePrekeyId } : {}),
		};
	}
	const parsed = v.safeParse(Envelope, {
		v: bytes[0],
		session: bytes.slice(2, 18),
		ratchetKey: bytes.slice(18, 83),
		pn: view.getUint32(83),
		n: view.getUint32(87),
		...(prekey === undefined ? {} : { prekey }),
		ciphertext: bytes.subarray(headerLength, bytes.length - ENVELOPE_SIGNATURE_BYTES),
		signature: bytes.subarray(bytes.length - ENVELOPE_SIGNATURE_BYTES),
	});
	if (!parsed.success) return malformed(parsed.issues[0].message);
	return { ok: true, envelope: parsed.output, header: bytes.subarray(0, headerLength) };
}
