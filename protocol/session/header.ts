// Message headers as the session layer sees them. The byte layout (what the AEAD associated data and the
// envelope signature cover, and what travels on the wire) is defined once, in protocol/wire/envelope.ts.

import type { Bytes } from "../encoding/bytes.ts";
import { encodeEnvelopeHeader } from "../wire/envelope.ts";
import type { IdentityKeyBytes } from "./identity.ts";

export interface PrekeyHeaderFields {
	readonly identity: IdentityKeyBytes;
	readonly signedPrekeyId: number;
	readonly oneTimePrekeyId: number | undefined;
}

export interface MessageHeader {
	readonly session: Bytes;
	readonly ratchetKey: Bytes;
	readonly pn: number;
	readonly n: number;
	readonly prekey: PrekeyHeaderFields | undefined;
}

export function encodeHeader(header: MessageHeader): Bytes {
	return encodeEnvelopeHeader({
		session: header.session,
		ratchetKey: header.ratchetKey,
		pn: header.pn,
		n: header.n,
		...(header.prekey
			? {
					prekey: {
						identity: header.prekey.identity,
						signedPrekeyId: header.prekey.signedPrekeyId,
						...(header.prekey.oneTimePrekeyId === undefined
							? {}
							: { oneTimePrekeyId: header.prekey.oneTimePrekeyId }),
					},
				}
			: {}),
	});
}
