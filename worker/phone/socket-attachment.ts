// Per-socket state kept in the WebSocket attachment, so it survives hibernation and eviction
// (the object's fields do not). Parsed on read like any stored input.
import * as v from "valibot";

/** A new socket must authenticate with a hello frame within this time. */
export const AUTH_DEADLINE_MS = 10_000;

const Attachment = v.variant("state", [
	v.object({ state: v.literal("pending"), deadline: v.number() }),
	v.object({ state: v.literal("ready"), connectedAt: v.number() }),
]);
export type SocketAttachment = v.InferOutput<typeof Attachment>;

export function readAttachment(ws: WebSocket): SocketAttachment | null {
	const parsed = v.safeParse(Attachment, ws.deserializeAttachment());
	return parsed.success ? parsed.output : null;
}

export function writeAttachment(ws: WebSocket, attachment: SocketAttachment): void {
	ws.serializeAttachment(attachment);
}
