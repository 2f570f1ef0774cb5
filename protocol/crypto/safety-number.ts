// Safety numbers (numeric fingerprints), after Signal's NumericFingerprintGenerator design:
// for each party, an iterated hash over its identity keys and phone number
//
//   H_0 = SHA-512("FriendLy-v1 safety-number" || 0x00 || version(u16 = 1) || IKsig || IKdh || phone)
//   H_i = SHA-512(H_{i-1} || IKsig || IKdh)          for i = 1 .. 5200
//
// The first 30 bytes of H_5200 become six 5-byte big-endian integers, each reduced mod 100000 and
// written as 5 digits: 30 digits per party. The two 30-digit halves are sorted and concatenated, so
// both sides compute the same 60 digits. The iteration count makes a second-preimage search (finding
// another key with the same 30 digits, ~2^100 work) more expensive by a factor of 5200.
// QR payload: "FLSN1:" + the 60 digits (compare with constant-time equality after scanning).

import { type Bytes, concatBytes, utf8 } from "../encoding/bytes.ts";
import { sha512 } from "./sha.ts";
import { LABELS, SUITE_V1 } from "./suite.ts";

export const SAFETY_NUMBER_ITERATIONS = 5200;
export const SAFETY_NUMBER_QR_PREFIX = "FLSN1:";

export interface SafetyNumberParty {
	readonly signingKey: Bytes;
	readonly dhKey: Bytes;
	readonly phone: string;
}

export async function partyFingerprint(party: SafetyNumberParty, iterations = SAFETY_NUMBER_ITERATIONS) {
	const keys = concatBytes(party.signingKey, party.dhKey);
	let hash = await sha512(
		concatBytes(LABELS.safetyNumber, Uint8Array.of(0, 0, SUITE_V1), keys, utf8(party.phone)),
	);
	for (let i = 0; i < iterations; i++) hash = await sha512(concatBytes(hash, keys));
	return digitsOf(hash);
}

function digitsOf(hash: Bytes): string {
	let out = "";
	for (let chunk = 0; chunk < 6; chunk++) {
		let value = 0;
		for (let i = 0; i < 5; i++) value = value * 256 + (hash[chunk * 5 + i] as number);
		out += String(value % 100000).padStart(5, "0");
	}
	return out;
}

export interface SafetyNumber {
	/** 60 decimal digits, identical on both phones. */
	readonly digits: string;
	/** The digits in 12 groups of 5, for display. */
	readonly groups: readonly string[];
	/** Text to encode in a QR code; the scanner compares it with its own. */
	readonly qrPayload: string;
}

export async function computeSafetyNumber(a: SafetyNumberParty, b: SafetyNumberParty): Promise<SafetyNumber> {
	const halves = await Promise.all([partyFingerprint(a), partyFingerprint(b)]);
	halves.sort();
	const digits = halves.join("");
	const groups: string[] = [];
	for (let i = 0; i < 60; i += 5) groups.push(digits.slice(i, i + 5));
	return { digits, groups, qrPayload: SAFETY_NUMBER_QR_PREFIX + digits };
}
