// Safety numbers for the users to compare (in person, or by scanning a QR code), and the API around
// verification. See crypto/safety-number.ts for the construction.

import { computeSafetyNumber, SAFETY_NUMBER_QR_PREFIX, type SafetyNumber } from "../crypto/safety-number.ts";
import { constantTimeEqual, utf8 } from "../encoding/bytes.ts";
import type { IdentityKeys } from "../wire/keys.ts";
import { assertPhone, type ProtocolContext } from "./context.ts";
import { ProtocolError } from "./errors.ts";
import { identityKeyBytes } from "./identity.ts";

export type { SafetyNumber } from "../crypto/safety-number.ts";

export interface SafetyNumberParty {
	readonly phone: string;
	readonly identity: IdentityKeys;
}

/** The 60-digit safety number of two phones and their identity keys; symmetric in its arguments. */
export function safetyNumber(local: SafetyNumberParty, peer: SafetyNumberParty): Promise<SafetyNumber> {
	assertPhone(local.phone);
	assertPhone(peer.phone);
	const a = identityKeyBytes(local.identity);
	const b = identityKeyBytes(peer.identity);
	return computeSafetyNumber(
		{ signingKey: a.signingKey, dhKey: a.dhKey, phone: local.phone },
		{ signingKey: b.signingKey, dhKey: b.dhKey, phone: peer.phone },
	);
}

/** The safety number with a peer whose identity is pinned (invalid_argument when none is). */
export async function safetyNumberWith(context: ProtocolContext, peer: string): Promise<SafetyNumber> {
	assertPhone(peer);
	const [identity, pinned] = await Promise.all([
		context.localIdentity(),
		context.stores.identities.loadTrustedIdentity(peer),
	]);
	if (!pinned) throw new ProtocolError("invalid_argument", "no identity is pinned for this phone yet");
	return computeSafetyNumber(
		{ signingKey: identity.signing.publicKey, dhKey: identity.dh.publicKey, phone: context.phone },
		{ signingKey: pinned.signingKey, dhKey: pinned.dhKey, phone: peer },
	);
}

/** True when a scanned QR payload is this safety number (constant-time comparison). */
export function safetyNumberMatchesQr(number: SafetyNumber, scanned: string): boolean {
	const payload = scanned.trim();
	if (!payload.startsWith(SAFETY_NUMBER_QR_PREFIX)) return false;
	return constantTimeEqual(utf8(number.qrPayload), utf8(payload));
}
