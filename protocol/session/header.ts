// The canonical binary form of a message header (docs/E2E-PROTOCOL.md §Header bytes). The envelope
// carries the header fields as JSON; both sides rebuild these bytes from the parsed fields, and the
// bytes are what the AEAD associated data and the envelope signature cover. Every field has a fixed
// length, so the encoding is injective.
//
//   offset size field
//   0      1    version (1)
//   1      1    type: 1 = message, 2 = prekey message
//   2      16   session id
//   18     65   sender ratchet public key (SEC1 uncompressed)
//   83     4    pn (uint32 BE)
//   87     4    n  (uint32 BE)
//   -- prekey messages only --
//   91     65   sender identity signing key
//   156    65   sender identity DH key
//   221    64   signature of the DH key
//   285    4    signed prekey id
//   289    1    1 if a one-time prekey was used, else 0
//   290    4    one-time prekey id (0 when none)

import type { Bytes } from "../encoding/bytes.ts";
import { ENVELOPE_VERSION } from "../wire/envelope.ts";
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

export const HEADER_BYTES = 91;
export const PREKEY_HEADER_BYTES = 294;

export function encodeHeader(header: MessageHeader): Bytes {
	const out = new Uint8Array(header.prekey ? PREKEY_HEADER_BYTES : HEADER_BYTES);
	const view = new DataView(out.buffer);
	out[0] = ENVELOPE_VERSION;
	out[1] = header.prekey ? 2 : 1;
	out.set(header.session, 2);
	out.set(header.ratchetKey, 18);
	view.setUint32(83, header.pn);
	view.setUint32(87, header.n);
	if (header.prekey) {
		out.set(header.prekey.identity.signingKey, 91);
		out.set(header.prekey.identity.dhKey, 156);
		out.set(header.prekey.identity.dhKeySignature, 221);
		view.setUint32(285, header.prekey.signedPrekeyId);
		out[289] = header.prekey.oneTimePrekeyId === undefined ? 0 : 1;
		view.setUint32(290, header.prekey.oneTimePrekeyId ?? 0);
	}
	return out;
}
