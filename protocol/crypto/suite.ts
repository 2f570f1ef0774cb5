// Suite and version identifiers, and every domain-separation label the constructions use
// (docs/E2E-PROTOCOL.md §Derivations). Changing any string here changes every derived key: the
// known-answer tests in test/protocol/kat.suite.ts catch it.
//
// Suite 1 = "FriendLy-v1": ECDH P-256, ECDSA P-256 / SHA-256 (P1363 r||s), HKDF-SHA-256,
// HMAC-SHA-256, AES-256-GCM with 96-bit nonces. A later suite gets a new id and new labels; a peer or
// stored state that names a suite other than the session's is refused (no downgrade).

import { utf8 } from "../encoding/bytes.ts";

export const SUITE_V1 = 1;
export const SUPPORTED_SUITES: readonly number[] = [SUITE_V1];
export const SUITE_NAME = "FriendLy-v1 P256-ECDSA-SHA256-HKDF-HMAC-AES256GCM";

export const LABELS = {
	/** Prefix of the associated-data hash that binds both identities and phone numbers. */
	associatedData: utf8("FriendLy-v1 associated-data"),
	/** HKDF info of the X3DH-style setup: output RK || CK || session id. */
	x3dh: utf8("FriendLy-v1 x3dh"),
	/** HKDF info of the root-key KDF of the DH ratchet: output RK' || CK. */
	ratchetRoot: utf8("FriendLy-v1 ratchet-root"),
	/** HKDF info of the per-message key expansion: output AES key || nonce. */
	messageKeys: utf8("FriendLy-v1 message-keys"),
	/** Prefix of the bytes an envelope signature covers. */
	envelopeSignature: utf8("FriendLy-v1 envelope"),
	/** Prefix of each party's safety-number hash input. */
	safetyNumber: utf8("FriendLy-v1 safety-number"),
} as const;

/** Chain-key step inputs (Double Ratchet spec §5.2 recommendation). */
export const CHAIN_MESSAGE_KEY_INPUT = Uint8Array.of(0x01);
export const CHAIN_NEXT_KEY_INPUT = Uint8Array.of(0x02);
