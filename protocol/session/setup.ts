// Session setup from a prekey bundle (initiator) and from a prekey message (responder), with the
// X3DH-style agreement of crypto/x3dh.ts. Works while the responder is offline: the initiator needs only
// the bundle the relay hands out.
//
// Initiator (Alice), from Bob's bundle:
//   1. bundle.phone must be the peer; the DH identity key and the signed prekey must be signed by Bob's
//      identity signing key (bad_signature otherwise); Bob's identity must match the pin (TOFU).
//   2. EK = fresh ECDH key pair; (RK, CK, SID) = X3DH; EK is also Alice's first ratchet key and CK her
//      first sending chain. Until Bob answers, every message carries the prekey header.
// Responder (Bob), from Alice's first message:
//   1. Alice's identity keys come from the prekey header: the DH key must be signed, the envelope
//      signature must verify with them, and they must match the pin (TOFU).
//   2. Same X3DH from Bob's side with the named signed / one-time prekeys; the derived SID must equal the
//      header's. Bob's receiving chain is CK on ratchet key EK; he immediately performs the sending half
//      of a DH ratchet step, so he can answer at once.
//
// New sessions are always suite 2 (PQXDH-style, crypto/x3dh.ts): the bundle's signed prekey must carry
// its last-resort ML-KEM-768 key under the suite-2 signature, else the setup is refused with
// unsupported_version (a bundle without it comes from an out-of-date app, or from a relay that stripped
// it: either way we do not fall back to a classical-only session). Alice encapsulates to the bundle's
// one-time KEM prekey (signed on its own) when there is one, else to the last-resort one. Bob accepts
// suite-1 prekey messages only for signed prekeys made before suite 2 (their records have no KEM key),
// so a stored suite-1 setup in flight still completes.

import * as v from "valibot";
import { ecdh, generateEcdhKeyPair, importEcdhPublicKey } from "../crypto/ecdh.ts";
import {
	identityDhKeySignedBytes,
	kemPrekeySignedBytes,
	signedPrekeySignedBytes,
	signedPrekeyV2SignedBytes,
	verifyKeySignature,
} from "../crypto/key-signatures.ts";
import { mlKemDecapsulate, mlKemEncapsulate } from "../crypto/ml-kem.ts";
import { kdfRoot } from "../crypto/ratchet-kdf.ts";
import { SUITE_V1, SUITE_V2 } from "../crypto/suite.ts";
import {
	associatedDataHash,
	type KemAgreement,
	type KemTranscript,
	x3dhInitiator,
	x3dhResponder,
} from "../crypto/x3dh.ts";
import { decodeBase64Url } from "../encoding/base64url.ts";
import { type Bytes, constantTimeEqual } from "../encoding/bytes.ts";
import type { KemPrekeyKind } from "../wire/envelope.ts";
import { IdentityKeys, KemPrekey, OneTimePrekey, type PrekeyBundle, SignedPrekey } from "../wire/keys.ts";

/**
 * The bundle's keys, re-validated here whatever the caller did. The phone is compared verbatim with the
 * (canonical E.164) peer instead of being normalised again.
 */
const BundleKeys = v.object({
	phone: v.string(),
	identity: IdentityKeys,
	signedPrekey: SignedPrekey,
	oneTimePrekey: v.optional(OneTimePrekey),
	kemPrekey: v.optional(KemPrekey),
});

const KEM_KIND_NUMBER: Record<KemPrekeyKind, 1 | 2> = { last_resort: 1, one_time: 2 };

import type { ProtocolContext } from "./context.ts";
import { ProtocolError } from "./errors.ts";
import type { KemHeaderFields, PrekeyHeaderFields } from "./header.ts";
import { checkIdentityKeys, checkTrust, identityKeyBytes, keysExtractable } from "./identity.ts";
import { type LocalIdentity, type SessionState, STATE_VERSION, type TrustedIdentity } from "./stores.ts";

export interface NewSession {
	readonly state: SessionState;
	/** Identity to pin once the operation succeeded (first contact), else undefined. */
	readonly pin: TrustedIdentity | undefined;
}

function keyBytes(text: string) {
	const bytes = decodeBase64Url(text);
	if (!bytes) throw new ProtocolError("malformed", "a key is not base64url");
	return bytes;
}

export async function initiateSession(
	context: ProtocolContext,
	identity: LocalIdentity,
	peer: string,
	input: PrekeyBundle,
): Promise<NewSession> {
	const parsed = v.safeParse(BundleKeys, input);
	if (!parsed.success) {
		throw new ProtocolError("malformed", `the bundle does not parse (${parsed.issues[0].message})`);
	}
	const bundle = parsed.output;
	if (bundle.phone !== peer)
		throw new ProtocolError("wrong_recipient", "this bundle belongs to another phone");
	const peerIdentity = identityKeyBytes(bundle.identity);
	if (constantTimeEqual(peerIdentity.signingKey, identity.signing.publicKey)) {
		throw new ProtocolError("wrong_recipient", "this bundle carries our own identity");
	}
	const signedPrekey = keyBytes(bundle.signedPrekey.publicKey);
	const verifier = await context.verifier(peerIdentity.signingKey);
	const lastResortKem = bundle.signedPrekey.kemPublicKey
		? keyBytes(bundle.signedPrekey.kemPublicKey)
		: undefined;
	const oneTimeKem = bundle.kemPrekey
		? { keyId: bundle.kemPrekey.keyId, publicKey: keyBytes(bundle.kemPrekey.publicKey) }
		: undefined;
	// The signatures are verified concurrently, then reported in order.
	const [identityOk, signedPrekeyOk, oneTimeKemOk] = await Promise.all([
		verifyKeySignature(verifier, identityDhKeySignedBytes(peerIdentity.dhKey), peerIdentity.dhKeySignature),
		verifyKeySignature(
			verifier,
			lastResortKem
				? signedPrekeyV2SignedBytes(bundle.signedPrekey.keyId, signedPrekey, lastResortKem)
				: signedPrekeySignedBytes(bundle.signedPrekey.keyId, signedPrekey),
			keyBytes(bundle.signedPrekey.signature),
		),
		bundle.kemPrekey && oneTimeKem
			? verifyKeySignature(
					verifier,
					kemPrekeySignedBytes(oneTimeKem.keyId, oneTimeKem.publicKey),
					keyBytes(bundle.kemPrekey.signature),
				)
			: true,
	]);
	if (!identityOk) {
		throw new ProtocolError("bad_signature", "the identity DH key is not signed by the identity signing key");
	}
	if (!signedPrekeyOk) {
		throw new ProtocolError("bad_signature", "the signed prekey is not signed by the identity key");
	}
	if (!lastResortKem) {
		// A validly signed suite-1 prekey: an out-of-date app, or a relay that stripped the KEM key (then
		// the signature above failed instead). Never fall back to a classical-only session.
		throw new ProtocolError(
			"unsupported_version",
			"the contact's keys have no post-quantum (suite 2) prekey: their app must be updated before a new session can start",
		);
	}
	if (!oneTimeKemOk) {
		throw new ProtocolError("bad_signature", "the one-time KEM prekey is not signed by the identity key");
	}
	const pin = await checkTrust(context, peer, peerIdentity);
	const kemTarget = oneTimeKem
		? { kind: "one_time" as const, keyId: oneTimeKem.keyId, publicKey: oneTimeKem.publicKey }
		: { kind: "last_resort" as const, keyId: bundle.signedPrekey.keyId, publicKey: lastResortKem };
	const encapsulated = await mlKemEncapsulate(kemTarget.publicKey);
	const kemHeader: KemHeaderFields = {
		kind: kemTarget.kind,
		keyId: kemTarget.keyId,
		ciphertext: encapsulated.ciphertext,
	};
	const kem: KemAgreement = {
		sharedSecret: encapsulated.sharedSecret,
		transcript: kemTranscript(kemHeader, kemTarget.publicKey),
	};

	const [peerIdentityDh, peerSignedPrekey, peerOneTimePrekey, ephemeral, ad] = await Promise.all([
		importEcdhPublicKey(peerIdentity.dhKey),
		importEcdhPublicKey(signedPrekey),
		bundle.oneTimePrekey ? importEcdhPublicKey(keyBytes(bundle.oneTimePrekey.publicKey)) : undefined,
		generateEcdhKeyPair(keysExtractable(identity)),
		associatedDataHash(
			{ signingKey: identity.signing.publicKey, dhKey: identity.dh.publicKey, phone: context.phone },
			{ signingKey: peerIdentity.signingKey, dhKey: peerIdentity.dhKey, phone: peer },
		),
	]);
	const secrets = await x3dhInitiator(
		{
			identityDhPrivate: identity.dh.privateKey,
			ephemeralPrivate: ephemeral.privateKey,
			peerIdentityDh,
			peerSignedPrekey,
			peerOneTimePrekey,
		},
		ad,
		kem,
	);
	return {
		pin,
		state: {
			v: STATE_VERSION,
			suite: SUITE_V2,
			id: secrets.sessionId,
			role: "initiator",
			ad,
			peerSigningKey: peerIdentity.signingKey,
			peerDhKey: peerIdentity.dhKey,
			createdAt: context.clock.now(),
			rootKey: secrets.rootKey,
			ratchet: ephemeral,
			remoteRatchet: null,
			send: { chainKey: secrets.chainKey, n: 0 },
			recv: null,
			pn: 0,
			pendingPrekey: {
				signedPrekeyId: bundle.signedPrekey.keyId,
				oneTimePrekeyId: bundle.oneTimePrekey?.keyId,
				kem: kemHeader,
			},
			skipped: new Map(),
			previousRemoteRatchets: [],
		},
	};
}

function kemTranscript(header: KemHeaderFields, publicKey: Bytes): KemTranscript {
	return {
		kind: KEM_KIND_NUMBER[header.kind],
		keyId: header.keyId,
		publicKey,
		ciphertext: header.ciphertext,
	};
}

export interface AcceptedSession extends NewSession {
	/** The one-time prekey to delete once the message decrypted. */
	readonly usedOneTimePrekeyId: number | undefined;
	/** Suite 2: the one-time KEM prekey to delete once the message decrypted. */
	readonly usedKemPrekeyId: number | undefined;
}

/**
 * Suite 2, responder: the KEM prekey the header names, decapsulated. unknown_prekey when it is gone
 * (a one-time KEM prekey is used once: a replayed or re-issued one is refused here).
 */
async function responderKem(
	context: ProtocolContext,
	kem: KemHeaderFields,
	signedPrekeyId: number,
	lastResort: { readonly publicKey: Bytes; readonly secretKey: Bytes } | undefined,
): Promise<KemAgreement> {
	let pair = lastResort;
	if (kem.kind === "last_resort") {
		if (kem.keyId !== signedPrekeyId) {
			throw new ProtocolError("malformed", "the last-resort KEM prekey is not the signed prekey's");
		}
	} else {
		const record = await context.stores.prekeys.loadKemPrekey(kem.keyId);
		if (!record) {
			throw new ProtocolError(
				"unknown_prekey",
				"the one-time KEM prekey this message names was already used",
			);
		}
		pair = record.keyPair;
	}
	if (!pair) throw new ProtocolError("unknown_prekey", "the signed prekey this message names has no KEM key");
	const sharedSecret = await mlKemDecapsulate(kem.ciphertext, pair.secretKey);
	return { sharedSecret, transcript: kemTranscript(kem, pair.publicKey) };
}

export async function acceptSession(
	context: ProtocolContext,
	identity: LocalIdentity,
	peer: string,
	sessionId: Uint8Array,
	ephemeralKey: Uint8Array<ArrayBuffer>,
	prekey: PrekeyHeaderFields,
): Promise<AcceptedSession> {
	await checkIdentityKeys(context, prekey.identity);
	const pin = await checkTrust(context, peer, prekey.identity);
	const [signedPrekey, oneTimePrekey] = await Promise.all([
		context.stores.prekeys.loadSignedPrekey(prekey.signedPrekeyId),
		prekey.oneTimePrekeyId === undefined
			? undefined
			: context.stores.prekeys.loadOneTimePrekey(prekey.oneTimePrekeyId),
	]);
	if (!signedPrekey)
		throw new ProtocolError("unknown_prekey", "the signed prekey this message names is gone");
	if (prekey.oneTimePrekeyId !== undefined && !oneTimePrekey) {
		throw new ProtocolError("unknown_prekey", "the one-time prekey this message names was already used");
	}
	// A suite-2 message needs the KEM key; a suite-1 one is accepted only on a signed prekey made before
	// suite 2 (a relay cannot turn a suite-2 setup into a classical one by rewriting the header: the
	// envelope signature covers it, and our suite-2 signed prekeys refuse suite-1 setups).
	const suite = prekey.kem ? SUITE_V2 : SUITE_V1;
	if (signedPrekey.suite !== suite || (oneTimePrekey && oneTimePrekey.suite !== SUITE_V1)) {
		throw new ProtocolError("unsupported_version", "the named prekey belongs to another suite");
	}
	const kem = prekey.kem
		? await responderKem(context, prekey.kem, prekey.signedPrekeyId, signedPrekey.kem)
		: undefined;
	const [peerIdentityDh, peerEphemeral, ad] = await Promise.all([
		importEcdhPublicKey(prekey.identity.dhKey),
		importEcdhPublicKey(ephemeralKey),
		associatedDataHash(
			{ signingKey: prekey.identity.signingKey, dhKey: prekey.identity.dhKey, phone: peer },
			{ signingKey: identity.signing.publicKey, dhKey: identity.dh.publicKey, phone: context.phone },
		),
	]);
	const secrets = await x3dhResponder(
		{
			identityDhPrivate: identity.dh.privateKey,
			signedPrekeyPrivate: signedPrekey.keyPair.privateKey,
			oneTimePrekeyPrivate: oneTimePrekey?.keyPair.privateKey,
			peerIdentityDh,
			peerEphemeral,
		},
		ad,
		kem,
	);
	if (!constantTimeEqual(secrets.sessionId, sessionId)) {
		throw new ProtocolError("decrypt_failed", "the session id does not match the agreed keys");
	}
	const ratchet = await generateEcdhKeyPair(keysExtractable(identity));
	const sending = await kdfRoot(secrets.rootKey, await ecdh(ratchet.privateKey, peerEphemeral));
	return {
		pin,
		usedOneTimePrekeyId: prekey.oneTimePrekeyId,
		usedKemPrekeyId: prekey.kem?.kind === "one_time" ? prekey.kem.keyId : undefined,
		state: {
			v: STATE_VERSION,
			suite,
			id: secrets.sessionId,
			role: "responder",
			ad,
			peerSigningKey: prekey.identity.signingKey,
			peerDhKey: prekey.identity.dhKey,
			createdAt: context.clock.now(),
			rootKey: sending.rootKey,
			ratchet,
			remoteRatchet: ephemeralKey,
			send: { chainKey: sending.chainKey, n: 0 },
			recv: { chainKey: secrets.chainKey, n: 0 },
			pn: 0,
			pendingPrekey: null,
			skipped: new Map(),
			previousRemoteRatchets: [],
		},
	};
}
