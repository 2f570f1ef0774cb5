// The `id` and `to` of a send frame the relay refuses as a whole (malformed, or over the frame limit),
// so the answer names the send it refuses and the client can settle it (docs/PROTOCOL.md §Errors). Read
// only when both are valid under the wire's own MessageId and Phone schemas; otherwise the answer
// carries neither.
import * as v from "valibot";
import { type E164, MessageId, Phone, parseValue } from "../../protocol/wire/index.ts";

export interface SendAddress {
	id: string;
	to: E164;
}

/** Not strict: whatever else is wrong with the frame, these two fields may still be readable. */
const Address = v.object({ type: v.literal("send"), id: MessageId, to: Phone });

/** From a frame that was valid JSON. */
export function sendAddressOf(value: unknown): SendAddress | null {
	const parsed = parseValue(Address, value);
	return parsed.ok ? { id: parsed.value.id, to: parsed.value.to } : null;
}

/**
 * From the start of a frame too large to parse: `type`, `id` and `to` come before the body in every
 * client's frames, and the search is bounded to the first PREFIX_CHARS characters, whatever the size.
 */
const PREFIX_CHARS = 512;
const TYPE_SEND = /"type"\s*:\s*"send"/;
const ID = /"id"\s*:\s*"([^"\\]{1,64})"/;
const TO = /"to"\s*:\s*"([^"\\]{1,40})"/;

export function sendAddressInPrefix(text: string): SendAddress | null {
	const prefix = text.slice(0, PREFIX_CHARS);
	if (!TYPE_SEND.test(prefix)) return null;
	const id = ID.exec(prefix)?.[1];
	const to = TO.exec(prefix)?.[1];
	return id === undefined || to === undefined ? null : sendAddressOf({ type: "send", id, to });
}
