// X3DH-style session setup (Signal, "The X3DH Key Agreement Protocol", rev. 1, 2016-11-04), on P-256.
//
//   DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)   DH4 = DH(EK_A, OPK_B) (if any)
//   AD  = SHA-256("FriendLy-v1 associated-data" || 0x00 || IKsig_A || IKdh_A || IKsig_B || IKdh_B
//                 || len8(phone_A) || phone_A || len8(phone_B) || phone_B)          (A = initiator)
//   RK || CK || SID = HKDF-SHA-256(ikm = DH1 || DH2 || DH3 [|| DH4], salt = AD, info = "FriendLy-v1 x3dh", 80)
//
// Suite 2 (PQXDH-style; Signal, "The PQXDH Key Agreement Protocol", rev. 3, 2024-01-23) adds one
// ML-KEM-768 encapsulation (ml-kem.ts) to the recipient's one-time KEM prekey, or to the last-resort KEM
// prekey signed together with its signed prekey, and binds it into the derivation:
//   (CT, SS) = ML-KEM-768.Encaps(PQPK_B)
//   T   = SHA-256("FriendLy-v2 kem-transcript" || 0x00 || kind (1 = last-resort, 2 = one-time)
//                 || keyId (uint32 BE) || PQPK_B (1,184) || CT (1,088))
//   RK || CK || SID = HKDF-SHA-256(ikm = DH1 || DH2 || DH3 [|| DH4] || SS, salt = AD,
//                                  info = "FriendLy-v2 pqxdh" || 0x00 || T, 80)
// An attacker must then break both P-256 (the DHs) and ML-KEM-768 (SS) to learn the keys; swapping the
// KEM key, its id or the ciphertext changes T, hence SID, and the responder refuses the message.
//
// Differences from the X3DH paper, and why:
// - IK_A is split in two keys (ECDSA for signatures, ECDH for agreement, the latter signed by the
//   former) because WebCrypto cannot use one P-256 key for both (no XEdDSA equivalent).
// - AD is hashed and used as the HKDF salt *and* prefixed to every AEAD's associated data, so both
//   identities and both phone numbers are bound into every key and every ciphertext (unknown-key-share
//   and relabelling defence). The 0xFF "F" prefix of X25519 X3DH is not needed on P-256.
// - The output also yields the first sending chain key CK and a 16-byte session id SID naming the
//   session in every header; EK_A doubles as the initiator's first ratchet key (ratchet.ts), which
//   saves one key generation and one DH without changing what either side can compute.

import { type Bytes, concatBytes, uint32BigEndian, utf8 } from "../encoding/bytes.ts";
import { ecdh } from "./ecdh.ts";
import { hkdfSha256 } from "./hkdf.ts";
import { sha256 } from "./sha.ts";
import { LABELS, LABELS_V2 } from "./suite.ts";

export const ROOT_KEY_BYTES = 32;
export const CHAIN_KEY_BYTES = 32;
export const SESSION_ID_BYTES = 16;

export interface PartyBinding {
	readonly signingKey: Bytes;
	readonly dhKey: Bytes;
	readonly phone: string;
}

function lengthPrefixed8(bytes: Bytes): Bytes {
	if (bytes.length > 255) throw new RangeError("field longer than 255 bytes");
	return concatBytes(Uint8Array.of(bytes.length), bytes);
}

export function associatedDataInput(initiator: PartyBinding, responder: PartyBinding): Bytes {
	return concatBytes(
		LABELS.associatedData,
		Uint8Array.of(0),
		initiator.signingKey,
		initiator.dhKey,
		responder.signingKey,
		responder.dhKey,
		lengthPrefixed8(utf8(initiator.phone)),
		lengthPrefixed8(utf8(responder.phone)),
	);
}

export function associatedDataHash(initiator: PartyBinding, responder: PartyBinding): Promise<Bytes> {
	return sha256(associatedDataInput(initiator, responder));
}

export interface X3dhOutput {
	readonly rootKey: Bytes;
	readonly chainKey: Bytes;
	readonly sessionId: Bytes;
}

/** Suite 2: the KEM encapsulation both sides bind into the setup. */
export interface KemTranscript {
	/** 1 = the signed prekey's last-resort KEM key, 2 = a one-time KEM prekey. */
	readonly kind: 1 | 2;
	readonly keyId: number;
	readonly publicKey: Bytes;
	readonly ciphertext: Bytes;
}

export function kemTranscriptInput(transcript: KemTranscript): Bytes {
	return concatBytes(
		LABELS_V2.kemTranscript,
		Uint8Array.of(0, transcript.kind),
		uint32BigEndian(transcript.keyId),
		transcript.publicKey,
		transcript.ciphertext,
	);
}

/** Suite 2's HKDF info: the label, 0x00 and the KEM transcript hash T. */
export async function pqxdhInfo(transcript: KemTranscript): Promise<Bytes> {
	return concatBytes(LABELS_V2.pqxdh, Uint8Array.of(0), await sha256(kemTranscriptInput(transcript)));
}

/** Suite 2: the KEM shared secret and what it was agreed over. */
export interface KemAgreement {
	readonly sharedSecret: Bytes;
	readonly transcript: KemTranscript;
}

async function x3dhKdf(secrets: Bytes[], ad: Bytes, kem: KemAgreement | undefined): Promise<X3dhOutput> {
	const okm = await hkdfSha256(
		concatBytes(...secrets, ...(kem ? [kem.sharedSecret] : [])),
		ad,
		kem ? await pqxdhInfo(kem.transcript) : LABELS.x3dh,
		ROOT_KEY_BYTES + CHAIN_KEY_BYTES + SESSION_ID_BYTES,
	);
	return {
		rootKey: okm.slice(0, 32),
		chainKey: okm.slice(32, 64),
		sessionId: okm.slice(64, 80),
	};
}

export interface X3dhInitiatorKeys {
	readonly identityDhPrivate: CryptoKey;
	readonly ephemeralPrivate: CryptoKey;
	readonly peerIdentityDh: CryptoKey;
	readonly peerSignedPrekey: CryptoKey;
	readonly peerOneTimePrekey: CryptoKey | undefined;
}

/** Suite 1 without `kem`, suite 2 (PQXDH-style) with it. */
export async function x3dhInitiator(
	keys: X3dhInitiatorKeys,
	ad: Bytes,
	kem?: KemAgreement,
): Promise<X3dhOutput> {
	const secrets = await Promise.all([
		ecdh(keys.identityDhPrivate, keys.peerSignedPrekey),
		ecdh(keys.ephemeralPrivate, keys.peerIdentityDh),
		ecdh(keys.ephemeralPrivate, keys.peerSignedPrekey),
		...(keys.peerOneTimePrekey ? [ecdh(keys.ephemeralPrivate, keys.peerOneTimePrekey)] : []),
	]);
	return x3dhKdf(secrets, ad, kem);
}

export interface X3dhResponderKeys {
	readonly identityDhPrivate: CryptoKey;
	readonly signedPrekeyPrivate: CryptoKey;
	readonly oneTimePrekeyPrivate: CryptoKey | undefined;
	readonly peerIdentityDh: CryptoKey;
	readonly peerEphemeral: CryptoKey;
}

export async function x3dhResponder(
	keys: X3dhResponderKeys,
	ad: Bytes,
	kem?: KemAgreement,
): Promise<X3dhOutput> {
	const secrets = await Promise.all([
		ecdh(keys.signedPrekeyPrivate, keys.peerIdentityDh),
		ecdh(keys.identityDhPrivate, keys.peerEphemeral),
		ecdh(keys.signedPrekeyPrivate, keys.peerEphemeral),
		...(keys.oneTimePrekeyPrivate ? [ecdh(keys.oneTimePrekeyPrivate, keys.peerEphemeral)] : []),
	]);
	return x3dhKdf(secrets, ad, kem);
}
