// Local identity creation and trust on first use (TOFU) of peers' identities.
//
// A phone's identity is an ECDSA P-256 signing key and an ECDH P-256 key signed by it. A peer's
// identity is pinned the first time we set up a session with it (or it with us). When a peer later
// presents different keys, every operation with that peer fails with ProtocolError("untrusted_identity")
// carrying an IdentityChangeEvent, until the user accepts the new keys with trustIdentity().
// Nothing is decrypted or encrypted meanwhile, and state is unchanged, so the operation can be retried.

import { generateEcdhKeyPair } from "../crypto/ecdh.ts";
import { generateEcdsaKeyPair } from "../crypto/ecdsa.ts";
import { identityDhKeySignedBytes, signKey, verifyKeySignature } from "../crypto/key-signatures.ts";
import { SUITE_V1 } from "../crypto/suite.ts";
import { decodeBase64Url, encodeBase64Url } from "../encoding/base64url.ts";
import { type Bytes, constantTimeEqual } from "../encoding/bytes.ts";
import type { IdentityKeys } from "../wire/keys.ts";
import { type Clock, systemClock } from "./clock.ts";
import { assertPhone, type ProtocolContext } from "./context.ts";
import { type IdentityChangeEvent, ProtocolError } from "./errors.ts";
import { retireAllSessions } from "./records.ts";
import {
	type LocalIdentity,
	MAX_PREVIOUS_IDENTITIES,
	STATE_VERSION,
	type TrustedIdentity,
} from "./stores.ts";

export interface CreateIdentityOptions {
	/**
	 * false (browsers): private keys can never leave WebCrypto; store the CryptoKeys in IndexedDB.
	 * true (CLI): private keys can be serialised with serializeLocalIdentity() and kept on disk.
	 * Ratchet and prekey keys generated later follow the same choice.
	 */
	readonly extractable: boolean;
	readonly clock?: Clock;
}

export async function createLocalIdentity(options: CreateIdentityOptions): Promise<LocalIdentity> {
	const [signing, dh] = await Promise.all([
		generateEcdsaKeyPair(options.extractable),
		generateEcdhKeyPair(options.extractable),
	]);
	const dhKeySignature = await signKey(signing.privateKey, identityDhKeySignedBytes(dh.publicKey));
	return {
		v: STATE_VERSION,
		suite: SUITE_V1,
		signing,
		dh,
		dhKeySignature,
		createdAt: (options.clock ?? systemClock).now(),
	};
}

/** The wire form (POST /v1/verification/confirm `identity`, bundles). */
export function publicIdentity(identity: LocalIdentity): IdentityKeys {
	return {
		signingKey: encodeBase64Url(identity.signing.publicKey),
		dhKey: encodeBase64Url(identity.dh.publicKey),
		dhKeySignature: encodeBase64Url(identity.dhKeySignature),
	};
}

/** Whether new ratchet and prekey private keys should be extractable (same as the identity's). */
export function keysExtractable(identity: LocalIdentity): boolean {
	return identity.dh.privateKey.extractable;
}

/** Identity keys as bytes. */
export interface IdentityKeyBytes {
	readonly signingKey: Bytes;
	readonly dhKey: Bytes;
	readonly dhKeySignature: Bytes;
}

export function identityKeyBytes(keys: IdentityKeys): IdentityKeyBytes {
	const signingKey = decodeBase64Url(keys.signingKey);
	const dhKey = decodeBase64Url(keys.dhKey);
	const dhKeySignature = decodeBase64Url(keys.dhKeySignature);
	if (!signingKey || !dhKey || !dhKeySignature)
		throw new ProtocolError("malformed", "identity keys are not base64url");
	return { signingKey, dhKey, dhKeySignature };
}

/** Verifies that the DH identity key is signed by the signing key; returns the imported verifier. */
export async function checkIdentityKeys(
	context: ProtocolContext,
	keys: IdentityKeyBytes,
): Promise<CryptoKey> {
	const verifier = await context.verifier(keys.signingKey);
	if (!(await verifyKeySignature(verifier, identityDhKeySignedBytes(keys.dhKey), keys.dhKeySignature))) {
		throw new ProtocolError("bad_signature", "the identity DH key is not signed by the identity signing key");
	}
	return verifier;
}

function sameKeys(pinned: TrustedIdentity, keys: IdentityKeyBytes): boolean {
	return constantTimeEqual(pinned.signingKey, keys.signingKey) && constantTimeEqual(pinned.dhKey, keys.dhKey);
}

export function changeEvent(
	phone: string,
	pinned: Pick<TrustedIdentity, "signingKey" | "dhKey" | "verified">,
	keys: IdentityKeyBytes,
): IdentityChangeEvent {
	return {
		type: "identity_changed",
		phone,
		previous: { signingKey: encodeBase64Url(pinned.signingKey), dhKey: encodeBase64Url(pinned.dhKey) },
		current: {
			signingKey: encodeBase64Url(keys.signingKey),
			dhKey: encodeBase64Url(keys.dhKey),
			dhKeySignature: encodeBase64Url(keys.dhKeySignature),
		},
		previouslyVerified: pinned.verified,
	};
}

/**
 * TOFU check. Returns the record to pin when the peer is new (the caller stores it once the whole
 * operation succeeded), undefined when the keys match the pin, and throws untrusted_identity otherwise.
 */
export async function checkTrust(
	context: ProtocolContext,
	phone: string,
	keys: IdentityKeyBytes,
): Promise<TrustedIdentity | undefined> {
	const pinned = await context.stores.identities.loadTrustedIdentity(phone);
	if (!pinned) {
		// Sessions without a pin (state written by an older version that stored the session first and
		// stopped before the pin): their peer key is the pin, so another key is a change, not a first use.
		const record = await context.stores.sessions.loadSessionRecord(phone);
		const session = record?.sessions[0];
		if (session && !constantTimeEqual(session.peerSigningKey, keys.signingKey)) {
			throw new ProtocolError(
				"untrusted_identity",
				"this contact's identity key differs from the one of our session with them",
				changeEvent(
					phone,
					{ signingKey: session.peerSigningKey, dhKey: session.peerDhKey, verified: false },
					keys,
				),
			);
		}
		return newPin(context, phone, keys, undefined);
	}
	if (sameKeys(pinned, keys)) return undefined;
	throw new ProtocolError(
		"untrusted_identity",
		"this contact's identity key changed; show it to the user before continuing",
		changeEvent(phone, pinned, keys),
	);
}

/** The pinned identity of a peer, if any. */
export function getTrustedIdentity(
	context: ProtocolContext,
	phone: string,
): Promise<TrustedIdentity | undefined> {
	assertPhone(phone);
	return context.stores.identities.loadTrustedIdentity(phone);
}

/**
 * Pins `keys` for `phone` (the user accepted a changed identity, or pre-trusts one). The signature of the
 * DH key is checked. When this replaces different keys, the sessions with the old identity are deleted
 * and `verified` is reset.
 */
export async function trustIdentity(
	context: ProtocolContext,
	phone: string,
	keys: IdentityKeys,
): Promise<void> {
	const bytes = await checkedKeys(context, phone, keys);
	await context.locks.run(phone, async () => {
		const pinned = await context.stores.identities.loadTrustedIdentity(phone);
		if (pinned && sameKeys(pinned, bytes)) return;
		// The old identity's sessions are retired before the new key is pinned: a crash in between leaves
		// the old pin and no sessions (the change is simply asked again), never the new pin beside
		// sessions that still decrypt for the old key.
		if (pinned) await retireAllSessions(context, phone);
		await context.stores.identities.storeTrustedIdentity(newPin(context, phone, bytes, pinned));
	});
}

/**
 * Pins `keys` for a contact we have no pin for yet, atomically with respect to every other operation
 * on that contact (the per-peer lock): compare-and-set, so a pin that appeared meanwhile (a first
 * message received while a bundle was being fetched) is never replaced. Keys equal to the pin are
 * accepted; different keys are an untrusted_identity change.
 */
export async function pinIdentityIfNew(
	context: ProtocolContext,
	phone: string,
	keys: IdentityKeys,
): Promise<void> {
	const bytes = await checkedKeys(context, phone, keys);
	await context.locks.run(phone, async () => {
		const pin = await checkTrust(context, phone, bytes);
		if (pin) await context.stores.identities.storeTrustedIdentity(pin);
	});
}

/** A contact's keys to pin, as bytes, after checking the phone and the DH key's signature. */
async function checkedKeys(
	context: ProtocolContext,
	phone: string,
	keys: IdentityKeys,
): Promise<IdentityKeyBytes> {
	assertPhone(phone);
	const bytes = identityKeyBytes(keys);
	await checkIdentityKeys(context, bytes);
	return bytes;
}

/** The record that pins `keys`, remembering the keys it replaces (newest first, bounded). */
function newPin(
	context: ProtocolContext,
	phone: string,
	keys: IdentityKeyBytes,
	replaced: TrustedIdentity | undefined,
): TrustedIdentity {
	const earlier = replaced
		? [
				{ signingKey: replaced.signingKey, dhKey: replaced.dhKey, dhKeySignature: replaced.dhKeySignature },
				...(replaced.previous ?? []),
			]
		: [];
	const previous = earlier
		.filter((old) => !constantTimeEqual(old.signingKey, keys.signingKey))
		.slice(0, MAX_PREVIOUS_IDENTITIES);
	return {
		v: STATE_VERSION,
		phone,
		signingKey: keys.signingKey,
		dhKey: keys.dhKey,
		dhKeySignature: keys.dhKeySignature,
		firstSeenAt: context.clock.now(),
		verified: false,
		...(previous.length > 0 ? { previous } : {}),
	};
}

/** Marks the pinned identity as verified (safety numbers compared). Throws untrusted_identity when `keys` are not the pinned ones. */
export async function markIdentityVerified(
	context: ProtocolContext,
	phone: string,
	keys: IdentityKeys,
	verified = true,
): Promise<void> {
	assertPhone(phone);
	const bytes = identityKeyBytes(keys);
	await context.locks.run(phone, async () => {
		const pinned = await context.stores.identities.loadTrustedIdentity(phone);
		if (!pinned) throw new ProtocolError("invalid_argument", "no identity is pinned for this phone yet");
		if (!sameKeys(pinned, bytes)) {
			throw new ProtocolError(
				"untrusted_identity",
				"these keys are not the pinned ones",
				changeEvent(phone, pinned, bytes),
			);
		}
		await context.stores.identities.storeTrustedIdentity({ ...pinned, verified });
	});
}
