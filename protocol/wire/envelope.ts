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
// Suite 2 (version byte 2) inserts a per-message salt after n and extends the prekey header with the
// ML-KEM-768 encapsulation (docs/E2E-PROTOCOL.md §Suite 2):
//   offset size field
//   0      1    version = suite id (2)
//   1      1    type: 1 = message, 2 = prekey message
//   2      16   session id
//   18     65   sender ratchet public key
//   83     4    pn
//   87     4    n
//   91     16   salt: fresh random bytes, mixed into this message's key and nonce (fork safety)
//   -- prekey messages only --
//   107    65   sender identity signing key
//   172    65   sender identity DH key
//   237    64   signature of the DH key by the signing key
//   301    4    signed prekey id used
//   305    1    1 if a one-time prekey was used, else 0
//   306    4    one-time prekey id (0 when none)
//   310    1    KEM prekey used: 1 = the signed prekey's last-resort KEM key, 2 = a one-time KEM prekey
//   311    4    KEM prekey id (for 1, equal to the signed prekey id)
//   315    1088 ML-KEM-768 ciphertext
// The ciphertext then holds the Padmé-padded plaintext (protocol/session/padding.ts).
//
// Sender, recipient and message id are deliberately absent: they come from the relay frame and the
// recipient's own phone, and the signature covers them (protocol/crypto/envelope-signature.ts).
import * as v from "valibot";
import type { Bytes } from "../encoding/bytes.ts";
import { KeyId } from "./primitives.ts";

/** Envelope format and cipher-suite id (suite 1: P-256, ECDSA-SHA-256, HKDF/HMAC-SHA-256, AES-256-GCM). */
export const ENVELOPE_VERSION = 1;
/** Suite 2: suite 1 plus ML-KEM-768 setup, padding and per-message salts. */
export const ENVELOPE_VERSION_V2 = 2;
export const MESSAGE_HEADER_BYTES = 91;
export const PREKEY_HEADER_BYTES = 294;
export const MESSAGE_SALT_BYTES = 16;
export const MESSAGE_HEADER_V2_BYTES = 107;
export const PREKEY_HEADER_V2_BYTES = 1403;
export const KEM_CIPHERTEXT_BYTES = 1088;
/** Which KEM prekey a suite-2 prekey message encapsulated to. */
export const KEM_PREKEY_KINDS = ["last_resort", "one_time"] as const;
export type KemPrekeyKind = (typeof KEM_PREKEY_KINDS)[number];
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
	if (bytes.length < 2) return "unknown";
	// Delivery notices keep version 1 (they are signed, not encrypted: nothing in them is suite-bound).
	if (bytes[0] === ENVELOPE_VERSION && bytes[1] === TYPE_DELIVERY_NOTICE) return "notice";
	if (bytes[0] !== ENVELOPE_VERSION && bytes[0] !== ENVELOPE_VERSION_V2) return "unknown";
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
	/** Suite 2 only: the ML-KEM-768 encapsulation to the recipient's KEM prekey. */
	kem: v.optional(
		v.strictObject({
			kind: v.picklist(KEM_PREKEY_KINDS),
			keyId: KeyId,
			ciphertext: byteString(KEM_CIPHERTEXT_BYTES, "KEM ciphertext"),
		}),
	),
});
export type PrekeyHeader = v.InferOutput<typeof PrekeyHeader>;

export const Envelope = v.strictObject({
	v: v.picklist([ENVELOPE_VERSION, ENVELOPE_VERSION_V2]),
	/** Session id (16 bytes) derived at setup; selects among the sessions held for this peer. */
	session: byteString(SESSION_ID_LENGTH, "session id"),
	/** The sender's current ratchet public key. */
	ratchetKey: point("ratchet key"),
	pn: Counter,
	n: Counter,
	/** Suite 2 only: the message's fresh salt. */
	salt: v.optional(byteString(MESSAGE_SALT_BYTES, "message salt")),
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
export type EnvelopeHeader = Omit<Envelope, "ciphertext" | "signature">;

const KEM_KIND_BYTES: Record<KemPrekeyKind, number> = { last_resort: 1, one_time: 2 };

/** Where the fields after n start: suite 2 puts the 16-byte salt first. */
function prekeyOffset(version: number): number {
	return version === ENVELOPE_VERSION_V2 ? MESSAGE_HEADER_V2_BYTES : MESSAGE_HEADER_BYTES;
}

function headerLength(version: number, prekey: boolean): number {
	if (version === ENVELOPE_VERSION_V2) return prekey ? PREKEY_HEADER_V2_BYTES : MESSAGE_HEADER_V2_BYTES;
	return prekey ? PREKEY_HEADER_BYTES : MESSAGE_HEADER_BYTES;
}

/**
 * The header bytes of the layout above. A suite-2 header must carry a salt (and, in a prekey message,
 * the KEM fields); a suite-1 header must carry neither.
 */
export function encodeEnvelopeHeader(header: EnvelopeHeader): Bytes {
	const v2 = header.v === ENVELOPE_VERSION_V2;
	if (v2 !== (header.salt !== undefined) || (header.prekey && v2 !== (header.prekey.kem !== undefined))) {
		throw new TypeError(`a version ${header.v} header with the wrong fields`);
	}
	const out = new Uint8Array(headerLength(header.v, header.prekey !== undefined));
	const view = new DataView(out.buffer);
	out[0] = header.v;
	out[1] = header.prekey ? TYPE_PREKEY : TYPE_MESSAGE;
	out.set(header.session, 2);
	out.set(header.ratchetKey, 18);
	view.setUint32(83, header.pn);
	view.setUint32(87, header.n);
	if (header.salt) out.set(header.salt, 91);
	if (header.prekey) {
		const at = prekeyOffset(header.v);
		out.set(header.prekey.identity.signingKey, at);
		out.set(header.prekey.identity.dhKey, at + 65);
		out.set(header.prekey.identity.dhKeySignature, at + 130);
		view.setUint32(at + 194, header.prekey.signedPrekeyId);
		out[at + 198] = header.prekey.oneTimePrekeyId === undefined ? 0 : 1;
		view.setUint32(at + 199, header.prekey.oneTimePrekeyId ?? 0);
		const kem = header.prekey.kem;
		if (kem) {
			out[at + 203] = KEM_KIND_BYTES[kem.kind];
			view.setUint32(at + 204, kem.keyId);
			out.set(kem.ciphertext, at + 208);
		}
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
	const version = bytes[0];
	if (version !== ENVELOPE_VERSION && version !== ENVELOPE_VERSION_V2) {
		return {
			ok: false,
			reason: "unsupported_version",
			message: `envelope version ${bytes[0]} is not supported`,
		};
	}
	const v2 = version === ENVELOPE_VERSION_V2;
	const type = bytes[1];
	if (type === TYPE_DELIVERY_NOTICE) return malformed("a delivery notice, not a message");
	if (type !== TYPE_MESSAGE && type !== TYPE_PREKEY) return malformed("unknown envelope type");
	const length = headerLength(version, type === TYPE_PREKEY);
	if (bytes.length < length + ENVELOPE_TAG_BYTES + ENVELOPE_SIGNATURE_BYTES) {
		return malformed("the envelope is too short");
	}
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	let prekey: unknown;
	if (type === TYPE_PREKEY) {
		const at = prekeyOffset(version);
		const flag = bytes[at + 198];
		const oneTimePrekeyId = view.getUint32(at + 199);
		if (flag !== 0 && flag !== 1) return malformed("bad one-time prekey flag");
		if (flag === 0 && oneTimePrekeyId !== 0) return malformed("a one-time prekey id without its flag");
		let kem: unknown;
		if (v2) {
			const kind = bytes[at + 203] === 1 ? "last_resort" : bytes[at + 203] === 2 ? "one_time" : undefined;
			if (!kind) return malformed("bad KEM prekey kind");
			kem = { kind, keyId: view.getUint32(at + 204), ciphertext: bytes.slice(at + 208, length) };
		}
		prekey = {
			// Copies (slice), not views: these fields end up in stored state, and a view would keep the
			// whole received buffer alive in it (IndexedDB's structured clone stores the whole buffer).
			identity: {
				signingKey: bytes.slice(at, at + 65),
				dhKey: bytes.slice(at + 65, at + 130),
				dhKeySignature: bytes.slice(at + 130, at + 194),
			},
			signedPrekeyId: view.getUint32(at + 194),
			...(flag === 1 ? { oneTimePrekeyId } : {}),
			...(kem === undefined ? {} : { kem }),
		};
	}
	const parsed = v.safeParse(Envelope, {
		v: version,
		session: bytes.slice(2, 18),
		ratchetKey: bytes.slice(18, 83),
		pn: view.getUint32(83),
		n: view.getUint32(87),
		...(v2 ? { salt: bytes.slice(91, 107) } : {}),
		...(prekey === undefined ? {} : { prekey }),
		ciphertext: bytes.subarray(length, bytes.length - ENVELOPE_SIGNATURE_BYTES),
		signature: bytes.subarray(bytes.length - ENVELOPE_SIGNATURE_BYTES),
	});
	if (!parsed.success) return malformed(parsed.issues[0].message);
	return { ok: true, envelope: parsed.output, header: bytes.subarray(0, length) };
}
