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

import { type Bytes, concatBytes, uint32BigEndian } from "../encoding/bytes.ts";
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

function lengthPrefixed8(text: string): Bytes {
	const bytes = encoder.encode(text);
	if (bytes.length > 255) throw new RangeError("field longer than 255 bytes");
	return concatBytes(Uint8Array.of(bytes.length), bytes);
}

export function envelopeSignedBytes(input: EnvelopeSignatureInput): Bytes {
	return concatBytes(
		LABELS.envelopeSignature,
		Uint8Array.of(0),
		lengthPrefixed8(input.sender),
		lengthPrefixed8(input.recipient),
		lengthPrefixed8(input.messageId),
		uint32BigEndian(input.header.length),
		input.header,
		input.ciphertext,
	);
}

export function signEnvelope(signingKey: CryptoKey, input: EnvelopeSignatureInput): Promise<Bytes> {
	return sign(signingKey, envelopeSignedBytes(input));
}

export function verifyEnvelope(verifier: CryptoKey, signature: Bytes, input: EnvelopeSignatureInput) {
	return verify(verifier, signature, envelopeSignedBytes(input));
}
