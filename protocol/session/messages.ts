// Sending and receiving: the two operations clients call for every message.
//
//   encryptMessage(context, { to, id, plaintext, fetchBundle }) → body (base64url, the relay's SendFrame.body)
//   decryptMessage(context, { from, id, body })                  → { plaintext, ... } or ProtocolError
//
// Receive order (each step can only reject; nothing is stored unless every step passed):
//   parse (malformed / unsupported_version) → reflection check (wrong_recipient) → find the session by id,
//   or take the sender identity from the prekey header (no_session) → verify the envelope signature over
//   ciphertext, header, sender, recipient and message id (bad_signature) → replay check (duplicate) →
//   for a new session: identity signature, TOFU (untrusted_identity), prekeys (unknown_prekey), X3DH →
//   Double Ratchet (old_message / too_far_ahead / decrypt_failed) → commit and store.
// Both operations are serialised per peer (context.locks), so concurrent sends and receives for the same
// peer cannot interleave.

import { type EnvelopeSignatureInput, signEnvelope, verifyEnvelope } from "../crypto/envelope-signature.ts";
import { SUPPORTED_SUITES } from "../crypto/suite.ts";
import { type Bytes, constantTimeEqual } from "../encoding/bytes.ts";
import type { DeliveryNoticeReason } from "../wire/delivery-notice.ts";
import type { IdentityKeys, PrekeyBundle } from "../wire/keys.ts";
import { assertPhone, type ProtocolContext } from "./context.ts";
import { encodeEnvelopeBody, parseEnvelopeBody } from "./envelope.ts";
import { isProtocolError, ProtocolError, type ProtocolErrorCode } from "./errors.ts";
import type { MessageHeader } from "./header.ts";
import { changeEvent, checkIdentityKeys, identityKeyBytes, keysExtractable } from "./identity.ts";
import { ratchetDecrypt, ratchetEncrypt } from "./ratchet.ts";
import { addSession, emptyRecord, isRetired, rememberReceived, retireAllSessions } from "./records.ts";
import { type AcceptedSession, acceptSession, initiateSession, type NewSession } from "./setup.ts";
import type { LocalIdentity, SessionRecord, SessionState, TrustedIdentity } from "./stores.ts";

/**
 * The largest plaintext whose suite-2 padded form (crypto/padme.ts) still fits an envelope:
 * padme(516,096) = 516,096 and 516,096 + 16 <= 524,288 (MAX_ENVELOPE_CIPHERTEXT_BYTES).
 */
export const MAX_PLAINTEXT_BYTES = 516_095;
const MESSAGE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface OutgoingMessage {
	/** Recipient phone, E.164. */
	readonly to: string;
	/** The relay message id (SendFrame.id); unique per recipient. Bound into the signature. */
	readonly id: string;
	readonly plaintext: Uint8Array;
	/**
	 * Called only when there is no session with `to` yet: fetch and parse the recipient's prekey bundle
	 * (GET /v1/keys/:phone). Without it, a first message fails with no_session.
	 */
	readonly fetchBundle?: () => Promise<PrekeyBundle>;
}

export interface IncomingMessage {
	/** MessageFrame.from */
	readonly from: string;
	/** MessageFrame.id */
	readonly id: string;
	/** MessageFrame.body */
	readonly body: string;
	/**
	 * Called with the plaintext after every check passed and before the session state is committed (the
	 * message key deleted). Store the message here: if this throws, nothing is committed and the same
	 * envelope decrypts again when it is redelivered, so a crash between decrypting and saving loses
	 * nothing.
	 */
	readonly save?: (plaintext: Bytes) => Promise<void>;
	/**
	 * Called only for a follow-up message from a phone with no pinned key (GET /v1/keys/:from, its
	 * `identity`): authenticates the failure so the sender can be told (ProtocolError.authenticatedFailure).
	 */
	readonly senderIdentity?: () => Promise<IdentityKeys>;
}

export interface DecryptedMessage {
	readonly from: string;
	readonly id: string;
	readonly plaintext: Bytes;
	/** True when this message set up a new session (the peer initiated). */
	readonly sessionCreated: boolean;
	/** True when this was the first contact and the peer's identity was pinned now. */
	readonly identityPinned: boolean;
}

function checkMessageId(id: string): void {
	if (!MESSAGE_ID_PATTERN.test(id)) {
		throw new ProtocolError("invalid_argument", "message ids are 1-64 characters of A-Z a-z 0-9 _ -");
	}
}

export function encryptMessage(context: ProtocolContext, message: OutgoingMessage): Promise<string> {
	assertPhone(message.to);
	checkMessageId(message.id);
	if (message.to === context.phone)
		throw new ProtocolError("wrong_recipient", "cannot send to our own phone");
	if (message.plaintext.length > MAX_PLAINTEXT_BYTES) {
		throw new ProtocolError("invalid_argument", `plaintexts are at most ${MAX_PLAINTEXT_BYTES} bytes`);
	}
	// A copy: what is encrypted is what the caller passed, even if it reuses the buffer meanwhile.
	const plaintext = new Uint8Array(message.plaintext);
	return context.locks.run(message.to, async () => {
		const identity = await context.localIdentity();
		const record = await context.stores.sessions.loadSessionRecord(message.to);
		let session = record?.sessions[0];
		let created: NewSession | undefined;
		if (!session) {
			if (!message.fetchBundle)
				throw new ProtocolError("no_session", "no session yet and no bundle to start one");
			created = await initiateSession(context, identity, message.to, await message.fetchBundle());
			session = created.state;
		}
		if (!SUPPORTED_SUITES.includes(session.suite))
			throw new ProtocolError("unsupported_version", "the session uses another suite");
		const pending = session.pendingPrekey;
		const sealed = await ratchetEncrypt(
			session,
			plaintext,
			pending
				? {
						identity: {
							signingKey: identity.signing.publicKey,
							dhKey: identity.dh.publicKey,
							dhKeySignature: identity.dhKeySignature,
						},
						signedPrekeyId: pending.signedPrekeyId,
						oneTimePrekeyId: pending.oneTimePrekeyId,
						kem: pending.kem,
					}
				: undefined,
		);
		const signature = await signEnvelope(identity.signing.privateKey, {
			sender: context.phone,
			recipient: message.to,
			messageId: message.id,
			header: sealed.headerBytes,
			ciphertext: sealed.ciphertext,
		});
		const body = encodeEnvelopeBody(sealed.headerBytes, sealed.ciphertext, signature);
		sealed.commit();
		const target = record ?? emptyRecord(message.to);
		if (created) addSession(target, created.state);
		// Pin first: a crash between the two writes leaves a pin without a session (the next send sets
		// one up from a fresh bundle), never a session without a pin.
		if (created?.pin) await context.stores.identities.storeTrustedIdentity(created.pin);
		await context.stores.sessions.storeSessionRecord(target);
		return body;
	});
}

function findSession(record: SessionRecord | undefined, id: Uint8Array): SessionState | undefined {
	return record?.sessions.find((state) => constantTimeEqual(state.id, id));
}

export function decryptMessage(
	context: ProtocolContext,
	message: IncomingMessage,
): Promise<DecryptedMessage> {
	assertPhone(message.from);
	checkMessageId(message.id);
	if (message.from === context.phone)
		throw new ProtocolError("wrong_recipient", "an envelope from our own phone");
	return context.locks.run(message.from, async () => {
		const identity = await context.localIdentity();
		const { header, headerBytes, ciphertext, signature } = parseEnvelopeBody(message.body);
		const record = await context.stores.sessions.loadSessionRecord(message.from);

		const reflected =
			record?.sessions.some((state) => constantTimeEqual(state.ratchet.publicKey, header.ratchetKey)) ||
			(header.prekey !== undefined &&
				constantTimeEqual(header.prekey.identity.signingKey, identity.signing.publicKey));
		if (reflected) throw new ProtocolError("wrong_recipient", "this envelope was written by us (reflected)");

		const session = findSession(record, header.session);
		let signer: Bytes;
		let pinned: TrustedIdentity | undefined;
		const signed: EnvelopeSignatureInput = {
			sender: message.from,
			recipient: context.phone,
			messageId: message.id,
			header: headerBytes,
			ciphertext,
		};
		if (session) {
			if (!SUPPORTED_SUITES.includes(session.suite))
				throw new ProtocolError("unsupported_version", "the session uses another suite");
			if (header.prekey && !constantTimeEqual(header.prekey.identity.signingKey, session.peerSigningKey)) {
				throw new ProtocolError(
					"bad_signature",
					"the prekey header names another identity than the session's",
				);
			}
			signer = session.peerSigningKey;
		} else if (header.prekey) {
			signer = header.prekey.identity.signingKey;
		} else {
			// No session: still authenticate with the pinned key when there is one, so a forged or
			// misdirected envelope is reported as such rather than as a lost session.
			pinned = await context.stores.identities.loadTrustedIdentity(message.from);
			if (!pinned) throw await unknownSenderFailure(context, message, signed, signature, header.session);
			signer = pinned.signingKey;
		}
		if (!(await verifyEnvelope(await context.verifier(signer), signature, signed))) {
			// Signed by a key this phone had before (the contact's earlier install, whose key was replaced)?
			// Then it is a key change back to that key, to show and accept or reject, not a forgery.
			for (const earlier of pinned?.previous ?? []) {
				if (await verifyEnvelope(await context.verifier(earlier.signingKey), signature, signed)) {
					throw new ProtocolError(
						"untrusted_identity",
						"signed by an earlier identity key of this contact",
						changeEvent(message.from, pinned ?? { ...earlier, verified: false }, earlier),
					);
				}
			}
			throw new ProtocolError("bad_signature", "the envelope signature does not verify");
		}
		if (record?.received.has(message.id)) {
			// A session-setup message seen before: its one-time prekey was used. Deleting it again is a
			// no-op, unless the earlier run stopped between storing the session and deleting the key
			// (the last write of a first message): then this redelivery completes it.
			if (header.prekey?.oneTimePrekeyId !== undefined)
				await context.stores.prekeys.removeOneTimePrekey(header.prekey.oneTimePrekeyId);
			if (header.prekey?.kem?.kind === "one_time")
				await context.stores.prekeys.removeKemPrekeys([header.prekey.kem.keyId]);
			throw new ProtocolError("duplicate", "this message was already received");
		}
		try {
			return await decryptVerified(
				context,
				identity,
				message,
				record,
				session,
				header,
				headerBytes,
				ciphertext,
			);
		} catch (error) {
			// The sender is authenticated: a failure from here on is worth telling it (a delivery notice).
			if (isProtocolError(error)) {
				const reason = NOTICE_REASONS[error.code];
				if (reason) error.authenticatedFailure = { session: header.session, reason };
			}
			throw error;
		}
	});
}

/**
 * A follow-up message from a phone we have no key for (e.g. this install is new and the sender still
 * writes on a session with our earlier install). It cannot be decrypted; if the caller can look up the
 * sender's current identity and the envelope's signature verifies under it, the failure is marked
 * authenticated so the sender can be told. Nothing is pinned: the sender's next session setup carries
 * its identity, which is then trusted on first use as usual.
 */
async function unknownSenderFailure(
	context: ProtocolContext,
	message: IncomingMessage,
	signed: EnvelopeSignatureInput,
	signature: Bytes,
	session: Bytes,
): Promise<ProtocolError> {
	const failure = new ProtocolError("no_session", "a follow-up message for a session we do not have");
	if (!message.senderIdentity) return failure;
	try {
		const keys = identityKeyBytes(await message.senderIdentity());
		const verifier = await checkIdentityKeys(context, keys);
		if (await verifyEnvelope(verifier, signature, signed))
			failure.authenticatedFailure = { session, reason: "no_session" };
	} catch {
		// No identity to be had (not registered, relay unreachable, bad keys): the sender stays unknown.
	}
	return failure;
}

/**
 * Failures after the signature verified that the sender can repair by sending again on a new session,
 * with the delivery notice's reason for each.
 */
const NOTICE_REASONS: Partial<Record<ProtocolErrorCode, DeliveryNoticeReason>> = {
	no_session: "no_session",
	unknown_prekey: "unknown_prekey",
	old_message: "old_message",
	too_far_ahead: "too_far_ahead",
	decrypt_failed: "decrypt_failed",
};

async function decryptVerified(
	context: ProtocolContext,
	identity: LocalIdentity,
	message: IncomingMessage,
	record: SessionRecord | undefined,
	found: SessionState | undefined,
	header: MessageHeader,
	headerBytes: Bytes,
	ciphertext: Bytes,
): Promise<DecryptedMessage> {
	let session = found;

	if (!session && isRetired(record, header.session)) {
		throw new ProtocolError("old_message", "this message belongs to a session we no longer hold");
	}

	let accepted: AcceptedSession | undefined;
	if (!session) {
		if (!header.prekey)
			throw new ProtocolError("no_session", "a follow-up message for a session we do not have");
		accepted = await acceptSession(
			context,
			identity,
			message.from,
			header.session,
			header.ratchetKey,
			header.prekey,
		);
		session = accepted.state;
	}
	const opened = await ratchetDecrypt(session, header, headerBytes, ciphertext, keysExtractable(identity));
	if (message.save) await message.save(opened.plaintext);

	opened.commit();
	const target = record ?? emptyRecord(message.from);
	if (accepted) addSession(target, accepted.state);
	rememberReceived(target, message.id);
	// Write order (each write is atomic; a crash can stop between any two): the message (save, above),
	// the pin, the session, the used one-time prekey's deletion. Stopping before the session means
	// redelivery, which decrypts again (the pin then matches); stopping after it, the redelivery is a
	// duplicate. A session is never stored without its pin.
	if (accepted?.pin) await context.stores.identities.storeTrustedIdentity(accepted.pin);
	await context.stores.sessions.storeSessionRecord(target);
	// Then the used one-time KEM prekey (suite 2), then the one-time prekey: a redelivery after a crash
	// between any two of these is a duplicate, which deletes both again (decryptMessage above).
	if (accepted?.usedKemPrekeyId !== undefined) {
		await context.stores.prekeys.removeKemPrekeys([accepted.usedKemPrekeyId]);
	}
	if (accepted?.usedOneTimePrekeyId !== undefined) {
		await context.stores.prekeys.removeOneTimePrekey(accepted.usedOneTimePrekeyId);
	}
	return {
		from: message.from,
		id: message.id,
		plaintext: opened.plaintext,
		sessionCreated: accepted !== undefined,
		identityPinned: accepted?.pin !== undefined,
	};
}

/** Whether a session with `peer` exists (if not, the next encryptMessage needs fetchBundle). */
export async function hasSession(context: ProtocolContext, peer: string): Promise<boolean> {
	assertPhone(peer);
	const record = await context.stores.sessions.loadSessionRecord(peer);
	return (record?.sessions.length ?? 0) > 0;
}

/**
 * Forgets every session with `peer` (their ids stay remembered, so their messages cannot be replayed);
 * the next message starts a new session from a fresh bundle.
 */
export function resetSession(context: ProtocolContext, peer: string): Promise<void> {
	assertPhone(peer);
	return context.locks.run(peer, () => retireAllSessions(context, peer));
}
