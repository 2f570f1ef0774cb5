// WebSocket frames (docs/PROTOCOL.md §WebSocket). JSON text frames, discriminated by `type`.
import * as v from "valibot";
import { RELAY_ERROR_CODES } from "./errors.ts";
import { base64UrlBlob, EpochMillis, MessageId, Phone, Seq } from "./primitives.ts";

/** Absolute ceiling for an envelope body; the relay's configured cap (ENVELOPE_MAX_BYTES) is lower. */
export const ENVELOPE_BODY_CEILING_BYTES = 1024 * 1024;
/** Acks are batched; this bounds one frame's work. */
export const MAX_ACKS_PER_FRAME = 512;

// Client → relay
export const HelloFrame = v.strictObject({
	type: v.literal("hello"),
	protocol: v.pipe(v.number(), v.integer()),
	token: v.pipe(v.string(), v.maxLength(200)),
});
const AckedSeqs = v.pipe(v.array(Seq), v.minLength(1), v.maxLength(MAX_ACKS_PER_FRAME));
export const SendFrame = v.strictObject({
	type: v.literal("send"),
	id: MessageId,
	to: Phone,
	body: base64UrlBlob(ENVELOPE_BODY_CEILING_BYTES, "body"),
	/** Acks riding along (of receipts and resume notices, which the client acknowledges lazily). */
	acks: v.optional(AckedSeqs),
});
export const AckFrame = v.strictObject({
	type: v.literal("ack"),
	seqs: AckedSeqs,
});
/**
 * The client could not show these messages to its user (undecryptable, or from a rejected key): the
 * relay deletes them without a delivery receipt and without remembering their ids, so the sender's
 * resend under the same id is stored again. The client tells the sender why, end to end, with a
 * delivery notice (docs/E2E-PROTOCOL.md §Delivery notices).
 */
export const DiscardFrame = v.strictObject({
	type: v.literal("discard"),
	seqs: AckedSeqs,
});
export const PingFrame = v.strictObject({ type: v.literal("ping") });

export const ClientFrame = v.variant("type", [HelloFrame, SendFrame, AckFrame, DiscardFrame, PingFrame]);
export type ClientFrame = v.InferOutput<typeof ClientFrame>;
export type SendFrame = v.InferOutput<typeof SendFrame>;

// Relay → client
export const ReadyFrame = v.object({
	type: v.literal("ready"),
	protocol: v.number(),
	phone: Phone,
	/** Mailbox entries about to be (re)delivered before `drained`. */
	pending: v.number(),
});
export const SentFrame = v.object({
	type: v.literal("sent"),
	id: MessageId,
	to: Phone,
	/** `live`: pushed to a connected recipient; `queued`: stored in the recipient's mailbox. */
	delivery: v.picklist(["live", "queued"]),
});
export const ErrorFrame = v.object({
	type: v.literal("error"),
	code: v.picklist(RELAY_ERROR_CODES),
	message: v.string(),
	/** The client message id a send error refers to. */
	id: v.optional(MessageId),
	to: v.optional(Phone),
	retryAfter: v.optional(v.number()),
});
export const MessageFrame = v.object({
	type: v.literal("message"),
	seq: Seq,
	from: Phone,
	id: MessageId,
	body: base64UrlBlob(ENVELOPE_BODY_CEILING_BYTES, "body"),
	sentAt: EpochMillis,
});
export const ReceiptFrame = v.object({
	type: v.literal("receipt"),
	seq: Seq,
	/** The recipient who acknowledged the message. */
	to: Phone,
	id: MessageId,
	deliveredAt: EpochMillis,
});
export const ResumeFrame = v.object({
	type: v.literal("resume"),
	seq: Seq,
	/** The recipient whose full mailbox has room again. */
	to: Phone,
});
export const DrainedFrame = v.object({ type: v.literal("drained") });
export const PongFrame = v.object({ type: v.literal("pong") });

export const ServerFrame = v.variant("type", [
	ReadyFrame,
	SentFrame,
	ErrorFrame,
	MessageFrame,
	ReceiptFrame,
	ResumeFrame,
	DrainedFrame,
	PongFrame,
]);
export type ServerFrame = v.InferOutput<typeof ServerFrame>;
export type MessageFrame = v.InferOutput<typeof MessageFrame>;
export type ReceiptFrame = v.InferOutput<typeof ReceiptFrame>;
export type ResumeFrame = v.InferOutput<typeof ResumeFrame>;
export type ErrorFrame = v.InferOutput<typeof ErrorFrame>;
export type SentFrame = v.InferOutput<typeof SentFrame>;

/** Exact text of the keep-alive ping; the relay answers it without waking the Durable Object. */
export const PING_TEXT = '{"type":"ping"}';
export const PONG_TEXT = '{"type":"pong"}';
