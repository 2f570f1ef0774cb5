// Test-only tools to take envelopes apart, change them and (as a malicious sender would) re-sign them.
import * as v from "valibot";
import { signEnvelope } from "../../protocol/crypto/envelope-signature.ts";
import { decodeBase64Url, encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { parseEnvelopeBody } from "../../protocol/session/envelope.ts";
import { encodeHeader } from "../../protocol/session/header.ts";
import type { LocalIdentity } from "../../protocol/session/index.ts";
import { Envelope } from "../../protocol/wire/envelope.ts";
import { AssertionFailed } from "./harness.ts";

export function openBody(body: string): Envelope {
	const raw = decodeBase64Url(body);
	if (!raw) throw new AssertionFailed("body is not base64url");
	const parsed = v.safeParse(Envelope, JSON.parse(new TextDecoder().decode(raw)));
	if (!parsed.success) throw new AssertionFailed("body is not an envelope");
	return parsed.output;
}

export function closeBody(envelope: unknown): string {
	return encodeBase64Url(new TextEncoder().encode(JSON.stringify(envelope)));
}

/** Flips one bit of a base64url field's bytes (default: the last byte's lowest bit). */
export function flipBase64(text: string, byteIndex?: number, bit = 0): string {
	const bytes = decodeBase64Url(text);
	if (!bytes || bytes.length === 0) throw new AssertionFailed("not base64url");
	const index = byteIndex ?? bytes.length - 1;
	bytes[index] = (bytes[index] ?? 0) ^ (1 << bit);
	return encodeBase64Url(bytes);
}

/** Flips one bit anywhere in the body's JSON bytes. */
export function flipBodyBit(body: string, bitIndex: number): string {
	const raw = decodeBase64Url(body);
	if (!raw) throw new AssertionFailed("body is not base64url");
	const index = Math.floor(bitIndex / 8) % raw.length;
	raw[index] = (raw[index] ?? 0) ^ (1 << (bitIndex % 8));
	return encodeBase64Url(raw);
}

/** Re-signs an (edited) envelope with `signer`'s identity, as the holder of that key could. */
export async function resign(
	envelope: Envelope,
	signer: LocalIdentity,
	route: { sender: string; recipient: string; messageId: string },
): Promise<string> {
	const parsed = parseEnvelopeBody(closeBody(envelope));
	const signature = await signEnvelope(signer.signing.privateKey, {
		...route,
		header: encodeHeader(parsed.header),
		ciphertext: parsed.ciphertext,
	});
	return closeBody({ ...envelope, signature: encodeBase64Url(signature) });
}
