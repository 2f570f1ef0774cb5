// Delivery notices (docs/E2E-PROTOCOL.md §Delivery notices; layout in protocol/wire/delivery-notice.ts):
// the recipient's signed word that it could not show a message, so the sender marks it "not delivered"
// and, where a new session can help, sends it again. Like Signal's DecryptionErrorMessage, but signed
// by the notifier's identity key rather than encrypted, since it may have no session to encrypt with.
//
//   createDeliveryNotice(context, { to, id, about, reason, session }) → body (send it like a message)
//   openDeliveryNotice(context, { from, id, body, apply })           → the notice (and the session the
//     failed message used, if it is our current one, retired), or ProtocolError:
//     malformed · bad_signature · no_session (we never pinned the notifier) · untrusted_identity (signed by
//     a key other than the pinned one: hold it as a key change) · duplicate (already applied)
// `apply` runs before the notice's id is remembered, so a crash in between applies it again on
// redelivery, never not at all.

import { signEnvelope, verifyEnvelope } from "../crypto/envelope-signature.ts";
import { decodeBase64Url } from "../encoding/base64url.ts";
import { type Bytes, constantTimeEqual } from "../encoding/bytes.ts";
import {
	type DeliveryNoticeReason,
	encodeDeliveryNoticeBody,
	envelopeKind,
	readDeliveryNotice,
	SESSION_ID_LENGTH,
} from "../wire/index.ts";
import { assertPhone, type ProtocolContext } from "./context.ts";
import { encodeEnvelopeBody } from "./envelope.ts";
import { ProtocolError } from "./errors.ts";
import { changeEvent, checkIdentityKeys } from "./identity.ts";
import { emptyRecord, isRetired, rememberReceived, retire } from "./records.ts";

export interface DeliveryNoticeRequest {
	/** The phone whose message could not be shown. */
	readonly to: string;
	/** This notice's own relay message id. */
	readonly id: string;
	/** The relay id of the message that could not be shown. */
	readonly about: string;
	readonly reason: DeliveryNoticeReason;
	/** The failed envelope's session id, when it named one. */
	readonly session?: Uint8Array;
}

export interface OpenedDeliveryNotice {
	readonly from: string;
	readonly id: string;
	readonly about: string;
	readonly reason: DeliveryNoticeReason;
	/** True when the failed message used our current (first) session with the notifier. */
	readonly aboutActiveSession: boolean;
	/**
	 * True when the failed message used a session we hold or held with the notifier. A rejection
	 * (`identity_rejected`) about any other session was not about a message of ours: someone else (the
	 * relay) put our phone and that id on an envelope, and the notice must change nothing.
	 */
	readonly aboutOurSession: boolean;
}

export interface IncomingNotice {
	readonly from: string;
	readonly id: string;
	readonly body: string;
	readonly apply?: (notice: OpenedDeliveryNotice) => Promise<void>;
}

/** Whether a relay message body is a delivery notice or a message (cheap: reads two bytes). */
export function bodyKind(body: string): "message" | "notice" | "unknown" {
	const head = decodeBase64Url(body.slice(0, 4));
	return head ? envelopeKind(head) : "unknown";
}

/** The session id a message body names (bytes 2-17 of the envelope), unchecked: for notices only. */
export function bodySessionId(body: string): Uint8Array | undefined {
	const head = decodeBase64Url(body.slice(0, 24));
	if (!head || envelopeKind(head) !== "message" || head.length < 2 + SESSION_ID_LENGTH) return undefined;
	return head.slice(2, 2 + SESSION_ID_LENGTH);
}

/**
 * A notice's reason and the message it is about, without any check. Only for a notice whose signatures
 * openDeliveryNotice already verified before refusing its key (untrusted_identity).
 */
export function deliveryNoticeFields(
	body: string,
): Pick<OpenedDeliveryNotice, "about" | "reason"> | undefined {
	const raw = decodeBase64Url(body);
	const read = raw ? readDeliveryNotice(raw) : undefined;
	return read?.ok ? { about: read.notice.about, reason: read.notice.reason } : undefined;
}

export async function createDeliveryNotice(
	context: ProtocolContext,
	request: DeliveryNoticeRequest,
): Promise<string> {
	assertPhone(request.to);
	const identity = await context.localIdentity();
	const session = new Uint8Array(SESSION_ID_LENGTH);
	if (request.session?.length === SESSION_ID_LENGTH) session.set(request.session);
	const signedBytes = encodeDeliveryNoticeBody({
		identity: {
			signingKey: identity.signing.publicKey,
			dhKey: identity.dh.publicKey,
			dhKeySignature: identity.dhKeySignature,
		},
		reason: request.reason,
		session,
		about: request.about,
	});
	const empty: Bytes = new Uint8Array(0);
	const signature = await signEnvelope(identity.signing.privateKey, {
		sender: context.phone,
		recipient: request.to,
		messageId: request.id,
		header: signedBytes,
		ciphertext: empty,
	});
	return encodeEnvelopeBody(signedBytes, empty, signature);
}

export function openDeliveryNotice(
	context: ProtocolContext,
	incoming: IncomingNotice,
): Promise<OpenedDeliveryNotice> {
	assertPhone(incoming.from);
	return context.locks.run(incoming.from, async () => {
		const raw = decodeBase64Url(incoming.body);
		if (!raw) throw new ProtocolError("malformed", "the notice is not base64url");
		const read = readDeliveryNotice(raw);
		if (!read.ok) throw new ProtocolError("malformed", read.message);
		const { notice, signed } = read;
		const verifier = await checkIdentityKeys(context, notice.identity);
		const verified = await verifyEnvelope(verifier, notice.signature, {
			sender: incoming.from,
			recipient: context.phone,
			messageId: incoming.id,
			header: signed,
			ciphertext: new Uint8Array(0),
		});
		if (!verified) throw new ProtocolError("bad_signature", "the notice's signature does not verify");
		const pinned = await context.stores.identities.loadTrustedIdentity(incoming.from);
		if (!pinned) throw new ProtocolError("no_session", "a notice from a phone we never wrote to");
		if (!constantTimeEqual(pinned.signingKey, notice.identity.signingKey)) {
			throw new ProtocolError(
				"untrusted_identity",
				"the notice is signed by another identity key than the pinned one",
				changeEvent(incoming.from, pinned, notice.identity),
			);
		}
		const record =
			(await context.stores.sessions.loadSessionRecord(incoming.from)) ?? emptyRecord(incoming.from);
		if (record.received.has(incoming.id))
			throw new ProtocolError("duplicate", "this notice was already received");
		const active = record.sessions[0];
		const opened: OpenedDeliveryNotice = {
			from: incoming.from,
			id: incoming.id,
			about: notice.about,
			reason: notice.reason,
			aboutActiveSession: active !== undefined && constantTimeEqual(active.id, notice.session),
			aboutOurSession:
				record.sessions.some((session) => constantTimeEqual(session.id, notice.session)) ||
				isRetired(record, notice.session),
		};
		if (incoming.apply) await incoming.apply(opened);
		// The session the failed message used is broken on their side: the next message starts a new
		// one from a fresh bundle. Retired in the same write that remembers the notice.
		if (opened.aboutActiveSession && opened.reason !== "identity_rejected") {
			retire(record, record.sessions);
			record.sessions = [];
		}
		rememberReceived(record, incoming.id);
		await context.stores.sessions.storeSessionRecord(record);
		return opened;
	});
}
