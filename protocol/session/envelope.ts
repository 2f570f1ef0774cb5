// Envelope body encoding: body = base64url(UTF-8 JSON of protocol/wire/envelope.ts Envelope).
// Parsing is strict and total: any failure is ProtocolError("malformed"), a version other than ours
// is ProtocolError("unsupported_version").

import * as v from "valibot";
import { decodeBase64Url } from "../encoding/base64url.ts";
import { encodeBase64UrlFast as encodeBase64Url } from "../encoding/base64url-fast.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { ENVELOPE_VERSION, Envelope, EnvelopeVersion, SESSION_ID_LENGTH } from "../wire/envelope.ts";
import { ENVELOPE_BODY_CEILING_BYTES } from "../wire/frames.ts";
import { ProtocolError } from "./errors.ts";
import type { MessageHeader } from "./header.ts";
import { identityKeyBytes } from "./identity.ts";

export interface ParsedEnvelope {
	readonly header: MessageHeader;
	readonly ciphertext: Bytes;
	readonly signature: Bytes;
}

export function encodeEnvelopeBody(header: MessageHeader, ciphertext: Bytes, signature: Bytes): string {
	const envelope: Envelope = {
		v: ENVELOPE_VERSION,
		session: encodeBase64Url(header.session),
		ratchetKey: encodeBase64Url(header.ratchetKey),
		pn: header.pn,
		n: header.n,
		...(header.prekey
			? {
					prekey: {
						identity: {
							signingKey: encodeBase64Url(header.prekey.identity.signingKey),
							dhKey: encodeBase64Url(header.prekey.identity.dhKey),
							dhKeySignature: encodeBase64Url(header.prekey.identity.dhKeySignature),
						},
						signedPrekeyId: header.prekey.signedPrekeyId,
						...(header.prekey.oneTimePrekeyId === undefined
							? {}
							: { oneTimePrekeyId: header.prekey.oneTimePrekeyId }),
					},
				}
			: {}),
		ciphertext: encodeBase64Url(ciphertext),
		signature: encodeBase64Url(signature),
	};
	return encodeBase64Url(encoder.encode(JSON.stringify(envelope)));
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

function bytesOf(text: string, length?: number): Bytes {
	const bytes = decodeBase64Url(text);
	if (!bytes || (length !== undefined && bytes.length !== length)) {
		throw new ProtocolError("malformed", "a field is not canonical base64url of the right length");
	}
	return bytes;
}

function pointOf(text: string): Bytes {
	const point = bytesOf(text, 65);
	if (point[0] !== 0x04)
		throw new ProtocolError("malformed", "a public key is not an uncompressed P-256 point");
	return point;
}

export function parseEnvelopeBody(body: string): ParsedEnvelope {
	if (body.length > Math.ceil((ENVELOPE_BODY_CEILING_BYTES * 4) / 3)) {
		throw new ProtocolError("malformed", "the envelope is too large");
	}
	const raw = decodeBase64Url(body);
	if (!raw) throw new ProtocolError("malformed", "the body is not base64url");
	let data: unknown;
	try {
		data = JSON.parse(decoder.decode(raw));
	} catch {
		throw new ProtocolError("malformed", "the body is not UTF-8 JSON");
	}
	const version = v.safeParse(EnvelopeVersion, data);
	if (!version.success) throw new ProtocolError("malformed", "the envelope has no version");
	if (version.output.v !== ENVELOPE_VERSION) {
		throw new ProtocolError("unsupported_version", `envelope version ${version.output.v} is not supported`);
	}
	const parsed = v.safeParse(Envelope, data);
	if (!parsed.success) {
		throw new ProtocolError(
			"malformed",
			`the envelope does not match the schema (${parsed.issues[0].message})`,
		);
	}
	const envelope = parsed.output;
	return {
		header: {
			session: bytesOf(envelope.session, SESSION_ID_LENGTH),
			ratchetKey: pointOf(envelope.ratchetKey),
			pn: envelope.pn,
			n: envelope.n,
			prekey: envelope.prekey
				? {
						identity: identityKeyBytes(envelope.prekey.identity),
						signedPrekeyId: envelope.prekey.signedPrekeyId,
						oneTimePrekeyId: envelope.prekey.oneTimePrekeyId,
					}
				: undefined,
		},
		ciphertext: bytesOf(envelope.ciphertext),
		signature: bytesOf(envelope.signature, 64),
	};
}
