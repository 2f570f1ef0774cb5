// Message headers as the session layer sees them. The byte layout (what the AEAD associated data and the
// envelope signature cover, and what travels on the wire) is defined once, in protocol/wire/envelope.ts.

import { SUITE_V2 } from "../crypto/suite.ts";
import type { Bytes } from "../encoding/bytes.ts";
import {
	ENVELOPE_VERSION,
	ENVELOPE_VERSION_V2,
	encodeEnvelopeHeader,
	type KemPrekeyKind,
} from "../wire/envelope.ts";
import type { IdentityKeyBytes } from "./identity.ts";

/** Suite 2: the initiator's ML-KEM-768 encapsulation, carried in every prekey header of the session. */
export interface KemHeaderFields {
	readonly kind: KemPrekeyKind;
	readonly keyId: number;
	readonly ciphertext: Bytes;
}

export interface PrekeyHeaderFields {
	readonly identity: IdentityKeyBytes;
	readonly signedPrekeyId: number;
	readonly oneTimePrekeyId: number | undefined;
	/** Suite 2 only. */
	readonly kem?: KemHeaderFields | undefined;
}

export interface MessageHeader {
	/** The session's suite: 1 or 2 (the envelope's version byte). */
	readonly suite: number;
	readonly session: Bytes;
	readonly ratchetKey: Bytes;
	readonly pn: number;
	readonly n: number;
	/** Suite 2 only: 16 fresh random bytes mixed into this message's key and nonce. */
	readonly salt?: Bytes | undefined;
	readonly prekey: PrekeyHeaderFields | undefined;
}

export function encodeHeader(header: MessageHeader): Bytes {
	const prekey = header.prekey;
	return encodeEnvelopeHeader({
		v: header.suite === SUITE_V2 ? ENVELOPE_VERSION_V2 : ENVELOPE_VERSION,
		session: header.session,
		ratchetKey: header.ratchetKey,
		pn: header.pn,
		n: header.n,
		...(header.salt ? { salt: header.salt } : {}),
		...(prekey
			? {
					prekey: {
						identity: prekey.identity,
						signedPrekeyId: prekey.signedPrekeyId,
						...(prekey.oneTimePrekeyId === undefined ? {} : { oneTimePrekeyId: prekey.oneTimePrekeyId }),
						...(prekey.kem ? { kem: prekey.kem } : {}),
					},
				}
			: {}),
	});
}
