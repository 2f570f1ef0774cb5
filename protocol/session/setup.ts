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

import * as v from "valibot";
import { ecdh, generateEcdhKeyPair, importEcdhPublicKey } from "../crypto/ecdh.ts";
import {
	identityDhKeySignedBytes,
	signedPrekeySignedBytes,
	verifyKeySignature,
} from "../crypto/key-signatures.ts";
import { kdfRoot } from "../crypto/ratchet-kdf.ts";
import { SUITE_V1 } from "../crypto/suite.ts";
import { associatedDataHash, x3dhInitiator, x3dhResponder } from "../crypto/x3dh.ts";
import { decodeBase64Url } from "../encoding/base64url.ts";
import { constantTimeEqual } from "../encoding/bytes.ts";
import { IdentityKeys, OneTimePrekey, type PrekeyBundle, SignedPrekey } from "../wire/keys.ts";

/**
 * The bundle's keys, re-validated here whatever the caller did. The phone is compared verbatim with the
 * (canonical E.164) peer instead of being normalised again.
 */
const BundleKeys = v.object({
	phone: v.string(),
	identity: IdentityKeys,
	signedPrekey: SignedPrekey,
	oneTimePrekey: v.optional(OneTimePrekey),
});

import type { ProtocolContext } from "./context.ts";
import { ProtocolError } from "./errors.ts";
import type { PrekeyHeaderFields } from "./header.ts";
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
	// Both signatures are verified concurrently, then reported in order.
	const [identityOk, signedPrekeyOk] = await Promise.all([
		verifyKeySignature(verifier, identityDhKeySignedBytes(peerIdentity.dhKey), peerIdentity.dhKeySignature),
		verifyKeySignature(
			verifier,
			signedPrekeySignedBytes(bundle.signedPrekey.keyId, signedPrekey),
			keyBytes(bundle.signedPrekey.signature),
		),
	]);
	if (!identityOk) {
		throw new ProtocolError("bad_signature", "the identity DH key is not signed by the identity signing key");
	}
	if (!signedPrekeyOk) {
		throw new ProtocolError("bad_signature", "the signed prekey is not signed by the identity key");
	}
	const pin = await checkTrust(context, peer, peerIdentity);

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
	);
	return {
		pin,
		state: {
			v: STATE_VERSION,
			suite: SUITE_V1,
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
			},
			skipped: new Map(),
			previousRemoteRatchets: [],
		},
	};
}

export interface AcceptedSession extends NewSession {
	/** The one-time prekey to delete once the message decrypted. */
	readonly usedOneTimePrekeyId: number | undefined;
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
	if (signedPrekey.suite !== SUITE_V1 || (oneTimePrekey && oneTimePrekey.suite !== SUITE_V1)) {
		throw new ProtocolError("unsupported_version", "the named prekey belongs to another suite");
	}
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
	);
	if (!constantTimeEqual(secrets.sessionId, sessionId)) {
		throw new ProtocolError("decrypt_failed", "the session id does not match the agreed keys");
	}
	const ratchet = await generateEcdhKeyPair(keysExtractable(identity));
	const sending = await kdfRoot(secrets.rootKey, await ecdh(ratchet.privateKey, peerEphemeral));
	return {
		pin,
		usedOneTimePrekeyId: prekey.oneTimePrekeyId,
		state: {
			v: STATE_VERSION,
			suite: SUITE_V1,
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
