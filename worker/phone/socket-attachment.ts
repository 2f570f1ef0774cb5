// Per-socket state kept in the WebSocket attachment, so it survives hibernation and eviction
// (the object's fields do not). Parsed on read like any stored input; an authenticated socket's
// attachment, which every frame looks at and which never changes, is then served from memory.
import * as v from "valibot";

/** A new socket must authenticate with a hello frame within this time. */
export const AUTH_DEADLINE_MS = 10_000;

/**
 * The block of mailbox seqs reserved for this connection (Mailbox.openBlock) and the next one to hand
 * out: kept here because it must outlive the object's memory exactly as long as the socket does.
 */
const SeqCursor = v.object({ next: v.number(), end: v.number() });
export type SeqCursor = v.InferOutput<typeof SeqCursor>;

const Attachment = v.variant("state", [
	v.object({ state: v.literal("pending"), deadline: v.number() }),
	// `seqs` is missing on sockets authenticated before 2026-12-01: a block is reserved on first use.
	v.object({ state: v.literal("ready"), connectedAt: v.number(), seqs: v.optional(SeqCursor) }),
]);
export type SocketAttachment = v.InferOutput<typeof Attachment>;

/** Dropped with the object's memory on hibernation, when the attachment is read (and parsed) again. */
const readySockets = new WeakMap<WebSocket, SocketAttachment>();

export function readAttachment(ws: WebSocket): SocketAttachment | null {
	const cached = readySockets.get(ws);
	if (cached) return cached;
	const parsed = v.safeParse(Attachment, ws.deserializeAttachment());
	if (!parsed.success) return null;
	if (parsed.output.state === "ready") readySockets.set(ws, parsed.output);
	return parsed.output;
}

export function writeAttachment(ws: WebSocket, attachment: SocketAttachment): void {
	ws.serializeAttachment(attachment);
	if (attachment.state === "ready") readySockets.set(ws, attachment);
	else readySockets.delete(ws);
}
