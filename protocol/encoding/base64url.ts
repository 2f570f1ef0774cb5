// Base64url without padding (RFC 4648 §5): every byte field on FriendLy's wire uses it.
import type { Bytes } from "./bytes.ts";

// Written by hand because protocol/ may use neither node:buffer nor DOM-only helpers.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const ascii = new TextDecoder();
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

/**
 * Built as ASCII bytes and decoded natively instead of by string concatenation: several times faster,
 * and on the per-message path (test/protocol/encoding.suite.ts checks it against btoa and RFC 4648).
 */
export function encodeBase64Url(bytes: Uint8Array): string {
	const length = bytes.length;
	const out = new Uint8Array(Math.ceil((length * 4) / 3));
	let o = 0;
	let i = 0;
	for (; i + 2 < length; i += 3) {
		const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
		out[o++] = CODES[n >>> 18] as number;
		out[o++] = CODES[(n >>> 12) & 63] as number;
		out[o++] = CODES[(n >>> 6) & 63] as number;
		out[o++] = CODES[n & 63] as number;
	}
	const rest = length - i;
	if (rest === 1) {
		const n = (bytes[i] as number) << 16;
		out[o++] = CODES[n >>> 18] as number;
		out[o++] = CODES[(n >>> 12) & 63] as number;
	} else if (rest === 2) {
		const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
		out[o++] = CODES[n >>> 18] as number;
		out[o++] = CODES[(n >>> 12) & 63] as number;
		out[o++] = CODES[(n >>> 6) & 63] as number;
	}
	return ascii.decode(out);
}

/** Decoded length of a canonical base64url string, or -1 when no byte string encodes to it. */
export function base64UrlDecodedLength(text: string): number {
	if (text.length % 4 === 1) return -1;
	return Math.floor((text.length * 3) / 4);
}

/**
 * Strict decoding: rejects padding, foreign characters and non-canonical trailing bits, so one byte
 * string has exactly one encoding (signatures and dedupe keys rely on that).
 */
export function decodeBase64Url(text: string): Bytes | null {
	const length = base64UrlDecodedLength(text);
	if (length < 0) return null;
	const out = new Uint8Array(length);
	let buffer = 0;
	let bits = 0;
	let o = 0;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		const value = code < 128 ? (LOOKUP[code] as number) : -1;
		if (value < 0) return null;
		buffer = (buffer << 6) | value;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (buffer >> bits) & 0xff;
		}
	}
	if (bits > 0 && (buffer & ((1 << bits) - 1)) !== 0) return null;
	return out;
}
