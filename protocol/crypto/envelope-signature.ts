// Envelope signatures (docs/E2E-PROTOCOL.md §Envelope signature): ECDSA P-256 / SHA-256 (P1363) by the
// sender's identity signing key over
//
//   "FriendLy-v1 envelope" || 0x00 || len8(sender) || sender || len8(recipient) || recipient
//   || len8(messageId) || messageId || len32(header) || header || ciphertext
//
// Sender and recipient are E.164 strings, messageId is the relay message id; none of the three is
// carried inside the envelope: the verifier supplies them from the relay frame and its own phone, so a
// relabelled sender, a message moved to another conversation or sent back to its author fails here.
// Trade-off: signatures make messages non-repudiable (see docs/SECURITY.md §Deniability).

import type { Bytes } from "../encoding/bytes.ts";
import { sign, verify } from "./ecdsa.ts";
import { LABELS } from "./suite.ts";

export interface EnvelopeSignatureInput {
	readonly sender: string;
	readonly recipient: string;
	readonly messageId: string;
	readonly header: Bytes;
	readonly ciphertext: Bytes;
}

const encoder = new TextEncoder();
const LABEL = LABELS.envelopeSignature;

/** Writes len8(text) ‖ text at `offset`; sender, recipient and id are ASCII (E.164, [A-Za-z0-9_-]). */
function writeLengthPrefixed(out: Bytes, offset: number, text: string): number {
	const written = encoder.encodeInto(text, out.subarray(offset + 1)).written;
	if (written > 255) throw new RangeError("field longer than 255 bytes");
	out[offset] = written;
	return offset + 1 + written;
}

/** The signed bytes, built in one allocation (this runs twice per message). */
export function envelopeSignedBytes(input: EnvelopeSignatureInput): Bytes {
	// UTF-8 needs at most 3 bytes per UTF-16 code unit; the exact size is known after writing.
	const room =
		LABEL.length +
		1 +
		3 * (input.sender.length + input.recipient.length + input.messageId.length) +
		3 +
		4 +
		input.header.length +
		input.ciphertext.length;
	const out = new Uint8Array(room);
	out.set(LABEL, 0);
	let offset = LABEL.length + 1; // 0x00 separator: already zero
	offset = writeLengthPrefixed(out, offset, input.sender);
	offset = writeLengthPrefixed(out, offset, input.recipient);
	offset = writeLengthPrefixed(out, offset, input.messageId);
	new DataView(out.buffer).setUint32(offset, input.header.length);
	offset += 4;
	out.set(input.header, offset);
	offset += input.header.length;
	out.set(input.ciphertext, offset);
	offset += input.ciphertext.length;
	return out.subarray(0, offset);
}

export function signEnvelope(signingKey: CryptoKey, input: EnvelopeSignatureInput): Promise<Bytes> {
	return sign(signingKey, envelopeSignedBytes(input));
}

export function verifyEnvelope(verifier: CryptoKey, signature: Bytes, input: EnvelopeSignatureInput) {
	return verify(verifier, signature, envelopeSignedBytes(input));
}
