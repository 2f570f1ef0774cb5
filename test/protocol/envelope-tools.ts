// Test-only tools to take envelopes apart, change them and (as a malicious sender would) re-sign them.
// An envelope is shown as a view with base64url byte fields, so edits read like the fields they touch.
import { signEnvelope } from "../../protocol/crypto/envelope-signature.ts";
import { decodeBase64Url, encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { type Bytes, concatBytes } from "../../protocol/encoding/bytes.ts";
import { parseEnvelopeBody } from "../../protocol/session/envelope.ts";
import type { LocalIdentity } from "../../protocol/session/index.ts";
import {
	ENVELOPE_VERSION,
	ENVELOPE_VERSION_V2,
	encodeEnvelopeHeader,
	readEnvelope,
} from "../../protocol/wire/envelope.ts";
import { AssertionFailed } from "./harness.ts";

export interface EnvelopeView {
	v: number;
	session: string;
	ratchetKey: string;
	pn: number;
	n: number;
	/** Suite 2 only. */
	salt?: string | undefined;
	prekey?:
		| {
				identity: { signingKey: string; dhKey: string; dhKeySignature: string };
				signedPrekeyId: number;
				oneTimePrekeyId?: number | undefined;
				/** Suite 2 only. */
				kem?: { kind: "last_resort" | "one_time"; keyId: number; ciphertext: string } | undefined;
		  }
		| undefined;
	ciphertext: string;
	signature: string;
}

const b64 = encodeBase64Url;

function bytes(text: string): Bytes {
	const out = decodeBase64Url(text);
	if (!out) throw new AssertionFailed("not base64url");
	return out;
}

export function bodyBytes(body: string): Bytes {
	return bytes(body);
}

export function openBody(body: string): EnvelopeView {
	const read = readEnvelope(bytes(body));
	if (!read.ok) throw new AssertionFailed(`not an envelope: ${read.message}`);
	const e = read.envelope;
	return {
		v: e.v,
		session: b64(e.session),
		ratchetKey: b64(e.ratchetKey),
		pn: e.pn,
		n: e.n,
		salt: e.salt && b64(e.salt),
		prekey: e.prekey && {
			identity: {
				signingKey: b64(e.prekey.identity.signingKey),
				dhKey: b64(e.prekey.identity.dhKey),
				dhKeySignature: b64(e.prekey.identity.dhKeySignature),
			},
			signedPrekeyId: e.prekey.signedPrekeyId,
			oneTimePrekeyId: e.prekey.oneTimePrekeyId,
			kem: e.prekey.kem && {
				kind: e.prekey.kem.kind,
				keyId: e.prekey.kem.keyId,
				ciphertext: b64(e.prekey.kem.ciphertext),
			},
		},
		ciphertext: b64(e.ciphertext),
		signature: b64(e.signature),
	};
}

/** Serialises a (possibly edited) view; the version byte is written as given, even when unsupported. */
export function closeBody(view: EnvelopeView): string {
	const kem = view.prekey?.kem;
	const header = encodeEnvelopeHeader({
		// The layout follows the fields present; the version byte is then overwritten with view.v.
		v: view.salt === undefined ? ENVELOPE_VERSION : ENVELOPE_VERSION_V2,
		session: bytes(view.session),
		ratchetKey: bytes(view.ratchetKey),
		pn: view.pn,
		n: view.n,
		...(view.salt === undefined ? {} : { salt: bytes(view.salt) }),
		...(view.prekey
			? {
					prekey: {
						identity: {
							signingKey: bytes(view.prekey.identity.signingKey),
							dhKey: bytes(view.prekey.identity.dhKey),
							dhKeySignature: bytes(view.prekey.identity.dhKeySignature),
						},
						signedPrekeyId: view.prekey.signedPrekeyId,
						...(view.prekey.oneTimePrekeyId === undefined
							? {}
							: { oneTimePrekeyId: view.prekey.oneTimePrekeyId }),
						...(kem ? { kem: { kind: kem.kind, keyId: kem.keyId, ciphertext: bytes(kem.ciphertext) } } : {}),
					},
				}
			: {}),
	});
	header[0] = view.v;
	return b64(concatBytes(header, bytes(view.ciphertext), bytes(view.signature)));
}

/** Flips one bit of a base64url field's bytes (default: the last byte's lowest bit). */
export function flipBase64(text: string, byteIndex?: number, bit = 0): string {
	const raw = bytes(text);
	if (raw.length === 0) throw new AssertionFailed("empty field");
	const index = byteIndex ?? raw.length - 1;
	raw[index] = (raw[index] ?? 0) ^ (1 << bit);
	return b64(raw);
}

/** Flips one bit anywhere in the body's bytes. */
export function flipBodyBit(body: string, bitIndex: number): string {
	const raw = bytes(body);
	const index = Math.floor(bitIndex / 8) % raw.length;
	raw[index] = (raw[index] ?? 0) ^ (1 << (bitIndex % 8));
	return b64(raw);
}

/** Applies a raw edit to the body's bytes. */
export function editBody(body: string, edit: (raw: Bytes) => Bytes): string {
	return b64(edit(bytes(body)));
}

/** Re-signs an (edited) envelope with `signer`'s identity, as the holder of that key could. */
export async function resign(
	view: EnvelopeView,
	signer: LocalIdentity,
	route: { sender: string; recipient: string; messageId: string },
): Promise<string> {
	const parsed = parseEnvelopeBody(closeBody(view));
	const signature = await signEnvelope(signer.signing.privateKey, {
		...route,
		header: parsed.headerBytes,
		ciphertext: parsed.ciphertext,
	});
	return closeBody({ ...view, signature: b64(signature) });
}
