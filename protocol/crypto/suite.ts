// Suite and version identifiers, and every domain-separation label the constructions use
// (docs/E2E-PROTOCOL.md §Derivations). Changing any string here changes every derived key: the
// known-answer tests in test/protocol/kat.suite.ts catch it.
//
// Suite 1 = "FriendLy-v1": ECDH P-256, ECDSA P-256 / SHA-256 (P1363 r||s), HKDF-SHA-256,
// HMAC-SHA-256, AES-256-GCM with 96-bit nonces. A later suite gets a new id and new labels; a peer or
// stored state that names a suite other than the session's is refused (no downgrade).
// Suite 2 = "FriendLy-v2": suite 1 plus ML-KEM-768 (FIPS 203) in the session setup (PQXDH-style),
// Padmé-padded plaintexts and a fresh 16-byte salt per message in the message-key expansion. New
// sessions are always suite 2; stored suite-1 sessions keep working (docs/E2E-PROTOCOL.md §Suite 2).

import { utf8 } from "../encoding/bytes.ts";

export const SUITE_V1 = 1;
export const SUITE_V2 = 2;
export const SUPPORTED_SUITES: readonly number[] = [SUITE_V1, SUITE_V2];
export const SUITE_NAME = "FriendLy-v1 P256-ECDSA-SHA256-HKDF-HMAC-AES256GCM";
export const SUITE_V2_NAME = "FriendLy-v2 P256-MLKEM768-ECDSA-SHA256-HKDF-HMAC-AES256GCM-Padme";

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

/** Suite 2's labels (the ones it shares with suite 1 are in LABELS: AD, ratchet root, envelope, safety). */
export const LABELS_V2 = {
	/** HKDF info prefix of the PQXDH-style setup; followed by the KEM transcript hash. */
	pqxdh: utf8("FriendLy-v2 pqxdh"),
	/** Prefix of the KEM transcript hash: KEM prekey kind, id, encapsulation key and ciphertext. */
	kemTranscript: utf8("FriendLy-v2 kem-transcript"),
	/** HKDF info prefix of the per-message key expansion; followed by the message's 16-byte salt. */
	messageKeys: utf8("FriendLy-v2 message-keys"),
} as const;

/** Chain-key step inputs (Double Ratchet spec §5.2 recommendation). */
export const CHAIN_MESSAGE_KEY_INPUT = Uint8Array.of(0x01);
export const CHAIN_NEXT_KEY_INPUT = Uint8Array.of(0x02);
