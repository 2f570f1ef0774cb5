// The closed set of end-to-end protocol error codes (docs/E2E-PROTOCOL.md §Errors). Every failure the
// library reports is a ProtocolError whose `code` is one of these; clients branch on `code` only.
// Here, below both protocol/crypto and protocol/session, so the primitives can raise it without
// importing the session layer (biome.json forbids that); protocol/session/errors.ts re-exports it.
// A failed operation never changes stored state, so the same input can be retried after, e.g., the user
// accepted a changed identity key.
import type { DeliveryNoticeReason } from "./wire/delivery-notice.ts";

export const PROTOCOL_ERROR_CODES = [
	/** The envelope, bundle or stored state does not parse (wrong shape, bad base64url, bad JSON). */
	"malformed",
	/** A version or suite id this library does not speak, or older than the session's (downgrade). */
	"unsupported_version",
	/** A public key is not a valid P-256 point, or a private key cannot be imported. */
	"invalid_key",
	/** The caller passed something unusable (wrong length, non-E.164 phone, bad message id). */
	"invalid_argument",
	/** An envelope, identity-key or signed-prekey signature does not verify. */
	"bad_signature",
	/** The peer's identity key differs from the pinned one; `identityChange` says what changed. */
	"untrusted_identity",
	/** A bundle for another phone, or an envelope from or to ourselves. */
	"wrong_recipient",
	/** A follow-up message for a session we do not have (e.g. we lost our state). */
	"no_session",
	/** A session-setup message names a signed or one-time prekey we no longer hold. */
	"unknown_prekey",
	/** This message id was already received from this peer: a replay or a relay redelivery. */
	"duplicate",
	/** The message key is gone: used already, or evicted from the skipped-key store. */
	"old_message",
	/** More than MAX_SKIP messages would have to be skipped in one chain. */
	"too_far_ahead",
	/** AES-GCM authentication failed (wrong key or modified ciphertext / header). */
	"decrypt_failed",
	/** Serialising state that holds a non-extractable private key. */
	"not_extractable",
	/** The identity store holds no local identity. */
	"no_identity",
] as const;

export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/** Raised with `untrusted_identity`: the clients must show it (safety number changed). */
export interface IdentityChangeEvent {
	readonly type: "identity_changed";
	readonly phone: string;
	/** The pinned keys (base64url SEC1 points). */
	readonly previous: { readonly signingKey: string; readonly dhKey: string };
	/** The keys now presented by the peer or the relay. */
	readonly current: { readonly signingKey: string; readonly dhKey: string; readonly dhKeySignature: string };
	/** True when the user had verified the previous key (a verified key changing deserves more alarm). */
	readonly previouslyVerified: boolean;
}

export class ProtocolError extends Error {
	override readonly name = "ProtocolError";
	readonly code: ProtocolErrorCode;
	readonly identityChange: IdentityChangeEvent | undefined;
	/**
	 * Set by decryptMessage when the envelope's signature verified under the sender's pinned key and it
	 * still could not be shown (no session, unknown prekey, retired session, …): the sender is known, so
	 * the client should tell it with a delivery notice: `reason` is the notice's, `session` the
	 * envelope's session id.
	 */
	authenticatedFailure: { readonly session: Uint8Array; readonly reason: DeliveryNoticeReason } | undefined;

	constructor(code: ProtocolErrorCode, message: string, identityChange?: IdentityChangeEvent) {
		super(`${code}: ${message}`);
		this.code = code;
		this.identityChange = identityChange;
		this.authenticatedFailure = undefined;
	}
}

export function isProtocolError(error: unknown, code?: ProtocolErrorCode): error is ProtocolError {
	return error instanceof ProtocolError && (code === undefined || error.code === code);
}
