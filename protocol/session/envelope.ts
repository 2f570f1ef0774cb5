// Envelope body encoding: body = base64url(header bytes ‖ ciphertext ‖ signature), the layout of
// protocol/wire/envelope.ts. Parsing is strict and total: any failure is ProtocolError("malformed"), a
// version other than ours ProtocolError("unsupported_version").

import { decodeBase64Url, encodeBase64Url } from "../encoding/base64url.ts";
import { type Bytes, concatBytes } from "../encoding/bytes.ts";
import { readEnvelope } from "../wire/envelope.ts";
import { ENVELOPE_BODY_CEILING_BYTES } from "../wire/frames.ts";
import { ProtocolError } from "./errors.ts";
import type { MessageHeader } from "./header.ts";

export interface ParsedEnvelope {
	readonly header: MessageHeader;
	/** The header bytes exactly as received (covered by the AEAD and the signature). */
	readonly headerBytes: Bytes;
	readonly ciphertext: Bytes;
	readonly signature: Bytes;
}

export function encodeEnvelopeBody(headerBytes: Bytes, ciphertext: Bytes, signature: Bytes): string {
	return encodeBase64Url(concatBytes(headerBytes, ciphertext, signature));
}

export function parseEnvelopeBody(body: string): ParsedEnvelope {
	if (body.length > Math.ceil((ENVELOPE_BODY_CEILING_BYTES * 4) / 3)) {
		throw new ProtocolError("malformed", "the envelope is too large");
	}
	const raw = decodeBase64Url(body);
	if (!raw) throw new ProtocolError("malformed", "the body is not base64url");
	const read = readEnvelope(raw);
	if (!read.ok) throw new ProtocolError(read.reason, read.message);
	const { envelope } = read;
	return {
		header: {
			suite: envelope.v,
			session: envelope.session,
			ratchetKey: envelope.ratchetKey,
			pn: envelope.pn,
			n: envelope.n,
			salt: envelope.salt,
			prekey: envelope.prekey
				? {
						identity: envelope.prekey.identity,
						signedPrekeyId: envelope.prekey.signedPrekeyId,
						oneTimePrekeyId: envelope.prekey.oneTimePrekeyId,
						kem: envelope.prekey.kem,
					}
				: undefined,
		},
		headerBytes: read.header,
		ciphertext: envelope.ciphertext,
		signature: envelope.signature,
	};
}
