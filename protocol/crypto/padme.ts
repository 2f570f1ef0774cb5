// Padmé padding (Nikitin, Barman, Lueks, Underwood, Hubaux, Ford, "Reducing Metadata Leakage from
// Encrypted Files and Communication with PURBs", PoPETs 2019(4), §4), applied by suite 2 to every
// plaintext before encryption so the relay learns only a message's size class, never its exact length.
//
//   padme(L) for L >= 2: E = floor(log2 L), S = floor(log2 E) + 1, keep the top S bits of L's E+1-bit
//   length and round the rest up: padme(L) = (L + 2^(E-S) - 1) with its low E-S bits cleared.
//
// Padded plaintext = plaintext || 0x80 || 0x00 ... (ISO/IEC 7816-4 style), of total length
// padme(length + 1): unambiguous to remove (the last non-zero byte must be 0x80), and removed only after
// the AEAD authenticated it. Overhead: at most 2^(E-S) - 1 bytes beyond the 0x80 byte, i.e. at most
// 2^-S of the length: 12.5 % below 256 bytes, 6.25 % up to 64 KiB, 3.125 % beyond; and there are 2^S
// sizes per doubling of the length (8 below 256 bytes, 16 up to 64 KiB): O(log log L) bits leak
// instead of O(log L). test/protocol/padding-sizes.test.ts measures both over every text length.

import type { Bytes } from "../encoding/bytes.ts";

export const PAD_MARKER = 0x80;

/** The Padmé length of `length` (>= length; equal for lengths 0-3 and powers of two). */
export function padme(length: number): number {
	if (!Number.isInteger(length) || length < 0) throw new RangeError("lengths are non-negative integers");
	if (length < 2) return length;
	const e = Math.floor(Math.log2(length));
	const s = Math.floor(Math.log2(e)) + 1;
	const lastBits = e - s;
	const mask = 2 ** lastBits - 1;
	// Arithmetic, not bitwise: lengths may exceed 2^31.
	return Math.floor((length + mask) / 2 ** lastBits) * 2 ** lastBits;
}

/** The most padding bytes padme may add to `length` (2^(E-S) - 1), for tests and docs. */
export function padmeMaxOverhead(length: number): number {
	if (length < 2) return 0;
	const e = Math.floor(Math.log2(length));
	return 2 ** (e - (Math.floor(Math.log2(e)) + 1)) - 1;
}

/** The padded length of a plaintext of `length` bytes (the marker included). */
export function paddedLength(length: number): number {
	return padme(length + 1);
}

export function pad(plaintext: Uint8Array): Bytes {
	const out = new Uint8Array(paddedLength(plaintext.length));
	out.set(plaintext);
	out[plaintext.length] = PAD_MARKER;
	return out;
}

/** The plaintext, or null when the padding is not well formed. */
export function unpad(padded: Uint8Array): Bytes | null {
	let end = padded.length - 1;
	while (end >= 0 && padded[end] === 0) end--;
	if (end < 0 || padded[end] !== PAD_MARKER) return null;
	// The sender pads to exactly padme(length + 1): anything longer is not ours to accept.
	if (paddedLength(end) !== padded.length) return null;
	return padded.slice(0, end);
}
