// Reads one WebSocket message from a client (docs/PROTOCOL.md §WebSocket): JSON text, at most the
// frame limit, parsed by the wire's ClientFrame schema. A refused send frame keeps its `id` and `to`
// where they can be read (send-address.ts).
import { type ClientFrame, ClientFrame as ClientFrameSchema, parseValue } from "../../protocol/wire/index.ts";
import { type SendAddress, sendAddressInPrefix, sendAddressOf } from "./send-address.ts";

export type ReadFrame =
	| { ok: true; frame: ClientFrame }
	| { ok: false; code: "bad_frame" | "too_large"; message: string; address: SendAddress | null };

/** JSON overhead allowed around an envelope body in one frame. */
const FRAME_OVERHEAD_CHARS = 2048;

/** Characters in the largest frame: a send of the largest envelope, in base64url, plus overhead. */
export function maxFrameChars(envelopeMaxBytes: number): number {
	return Math.ceil((envelopeMaxBytes * 4) / 3) + FRAME_OVERHEAD_CHARS;
}

export function readClientFrame(message: string | ArrayBuffer, envelopeMaxBytes: number): ReadFrame {
	if (typeof message !== "string") {
		return {
			ok: false,
			code: "bad_frame",
			message: "Binary frames are not supported; send JSON text frames.",
			address: null,
		};
	}
	const maxChars = maxFrameChars(envelopeMaxBytes);
	if (message.length > maxChars) {
		return {
			ok: false,
			code: "too_large",
			message: `Frame larger than ${maxChars} characters; messages are limited to ${envelopeMaxBytes} bytes.`,
			address: sendAddressInPrefix(message),
		};
	}
	let data: unknown;
	try {
		data = JSON.parse(message);
	} catch {
		return { ok: false, code: "bad_frame", message: "Frame rejected: not valid JSON.", address: null };
	}
	const parsed = parseValue(ClientFrameSchema, data);
	if (parsed.ok) return { ok: true, frame: parsed.value };
	return {
		ok: false,
		code: "bad_frame",
		message: `Frame rejected: ${parsed.message}.`,
		address: sendAddressOf(data),
	};
}
