// The end-to-end envelope: what a client puts in the relay's opaque `body` (docs/E2E-PROTOCOL.md
// §Envelope). body = base64url(UTF-8 JSON of Envelope). The relay never looks inside; the recipient
// parses it with this schema (never casts) before anything else.
//
// Sender, recipient and message id are deliberately absent: they come from the relay frame and the
// recipient's own phone, and the signature covers them (protocol/crypto/envelope-signature.ts).
import * as v from "valibot";
import { IdentityKeys } from "./keys.ts";
import { KeyId } from "./primitives.ts";

/** Envelope format and cipher-suite id (suite 1: P-256, ECDSA-SHA-256, HKDF/HMAC-SHA-256, AES-256-GCM). */
export const ENVELOPE_VERSION = 1;
/** Largest ciphertext (plaintext + 16-byte tag) an envelope may carry; keeps `body` under the relay's ceiling. */
export const MAX_ENVELOPE_CIPHERTEXT_BYTES = 512 * 1024;
export const SESSION_ID_LENGTH = 16;

const Counter = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Base64url text of exactly `bytes` bytes, checked by length and alphabet only: this schema runs on every
 * message, so the receiver decodes each field once, strictly (canonical encoding, P-256 point prefix),
 * right after parsing (protocol/session/envelope.ts) instead of decoding it twice.
 */
function base64UrlOfLength(bytes: number, what: string) {
	return v.pipe(
		v.string(`${what} must be a base64url string`),
		v.length(Math.ceil((bytes * 4) / 3), `${what} must be ${bytes} bytes in base64url`),
		v.regex(BASE64URL, `${what} must be base64url`),
	);
}

/** Read first, so an envelope from a newer (or older) suite is reported as such, not as malformed. */
export const EnvelopeVersion = v.object({ v: v.pipe(v.number(), v.integer()) });

/** Present while the sender has not yet heard back in this session: lets the recipient set it up. */
export const PrekeyHeader = v.strictObject({
	/** The sender's identity keys (checked against the pinned ones, TOFU on first contact). */
	identity: IdentityKeys,
	/** Which of the recipient's signed prekeys the sender used. */
	signedPrekeyId: KeyId,
	/** Which one-time prekey the sender used, if the bundle had one. */
	oneTimePrekeyId: v.optional(KeyId),
});
export type PrekeyHeader = v.InferOutput<typeof PrekeyHeader>;

export const Envelope = v.strictObject({
	v: v.literal(ENVELOPE_VERSION),
	/** Session id (16 bytes) derived at setup; selects among the sessions held for this peer. */
	session: base64UrlOfLength(SESSION_ID_LENGTH, "session"),
	/** The sender's current ratchet public key (SEC1 uncompressed P-256 point). */
	ratchetKey: base64UrlOfLength(65, "ratchetKey"),
	/** Number of messages in the sender's previous sending chain. */
	pn: Counter,
	/** Message number in the current sending chain. */
	n: Counter,
	prekey: v.optional(PrekeyHeader),
	/** AES-256-GCM ciphertext || tag. */
	ciphertext: v.pipe(
		v.string("ciphertext must be a base64url string"),
		v.minLength(22, "ciphertext must hold at least the 16-byte tag"),
		v.maxLength(Math.ceil((MAX_ENVELOPE_CIPHERTEXT_BYTES * 4) / 3), "ciphertext is too large"),
		v.regex(BASE64URL, "ciphertext must be base64url"),
	),
	/** ECDSA P-256 (P1363) signature by the sender's identity signing key. */
	signature: base64UrlOfLength(64, "signature"),
});
export type Envelope = v.InferOutput<typeof Envelope>;
