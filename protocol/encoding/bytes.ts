// Byte helpers shared by the wire and crypto layers.

/** Bytes backed by a plain ArrayBuffer: what WebCrypto accepts as BufferSource. */
export type Bytes = Uint8Array<ArrayBuffer>;

export function concatBytes(...parts: readonly Uint8Array[]): Bytes {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}

export function uint32BigEndian(value: number): Bytes {
	const out = new Uint8Array(4);
	new DataView(out.buffer).setUint32(0, value, false);
	return out;
}

/** Compares in time that depends only on the lengths, never on where the first difference is. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	let diff = 0;
	for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
	return diff === 0;
}

export function utf8(text: string): Bytes {
	// encodeInto a buffer we own: TextEncoder.encode's result type is not ArrayBuffer-backed everywhere.
	const out = new Uint8Array(text.length * 3);
	const { written } = new TextEncoder().encodeInto(text, out);
	return out.slice(0, written);
}
