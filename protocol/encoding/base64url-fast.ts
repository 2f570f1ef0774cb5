// Base64url (RFC 4648 §5, no padding) encoding for the per-message hot path: same output as
// encodeBase64Url in base64url.ts (test/protocol/encoding.suite.ts checks that on random inputs), built
// as ASCII bytes and decoded natively instead of by string concatenation (several times faster).

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const ascii = new TextDecoder();

export function encodeBase64UrlFast(bytes: Uint8Array): string {
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
