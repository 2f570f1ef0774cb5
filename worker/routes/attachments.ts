// Attachment blobs (docs/PROTOCOL.md §Attachments): opaque Cobblestone-256 ciphertexts in R2.
//
// Upload: the phone's object authenticates the token and reserves the declared size within the daily
// quota (exact: one object sees every upload of its phone); the body is streamed to R2 through a counter
// that fails the moment it passes the declared length, so nothing larger than the limit is ever read.
// R2 stores a single-part put whole or not at all; on any failure the key is deleted all the same and the
// reservation released, so an interrupted upload leaves nothing behind and costs no quota.
//
// Download: any registered phone holding the id (128 random bits, known only to the two ends of the
// end-to-end message) may fetch it. A blob past its 30 days, or never stored, is `410 gone`.
import { Hono } from "hono";
import * as v from "valibot";
import {
	ATTACHMENT_EXPIRES_HEADER,
	AttachmentId,
	type AttachmentUploaded,
} from "../../protocol/wire/index.ts";
import { blobKey } from "../attachments/attachment-ledger.ts";
import { bearerSession, verifiedSession } from "../http/authenticate.ts";
import { phoneObject, type RelayEnv } from "../http/context.ts";
import { errorResponse, relayError } from "../relay-error.ts";

export const attachmentRoutes = new Hono<RelayEnv>();

function megabytes(bytes: number): string {
	return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

/** "30 days" (the production retention), or seconds for a test relay's short one. */
function durationText(ms: number): string {
	const days = ms / 86_400_000;
	if (Number.isInteger(days)) return days === 1 ? "1 day" : `${days} days`;
	const seconds = Math.round(ms / 1000);
	return seconds === 1 ? "1 second" : `${seconds} seconds`;
}

/** Passes bytes through, failing as soon as more than `limit` went by. */
function countingStream(limit: number): TransformStream<Uint8Array, Uint8Array> {
	let seen = 0;
	return new TransformStream({
		transform(chunk, controller) {
			seen += chunk.byteLength;
			if (seen > limit) throw new RangeError("the body is longer than its Content-Length");
			controller.enqueue(chunk);
		},
	});
}

attachmentRoutes.post("/", bearerSession, async (c) => {
	const { phone, token } = c.get("session");
	const limit = c.get("config").attachments.maxBytes;
	const declared = c.req.header("content-length");
	if (declared === undefined || !/^[0-9]{1,12}$/.test(declared)) {
		return errorResponse(
			relayError("length_required", "Send the attachment with a Content-Length header (its exact size)."),
		);
	}
	const size = Number(declared);
	if (size > limit) {
		return errorResponse(relayError("too_large", `too large: limit ${megabytes(limit)} per file.`));
	}
	const owner = phoneObject(c.env, phone);
	const reserved = await owner.reserveAttachment(token, size);
	if (!reserved.ok) return errorResponse(reserved.error);
	const { id } = reserved.value;
	const key = blobKey(id);
	try {
		const body = c.req.raw.body ?? new Blob([]).stream();
		const fixed = new FixedLengthStream(size);
		const piping = body.pipeThrough(countingStream(size)).pipeTo(fixed.writable);
		// Both settled, so a failure of one never leaves the other's rejection unhandled.
		const [stored, piped] = await Promise.allSettled([c.env.ATTACHMENTS.put(key, fixed.readable), piping]);
		if (stored.status === "rejected") throw stored.reason;
		if (piped.status === "rejected") throw piped.reason;
		if (stored.value === null || stored.value.size !== size)
			throw new RangeError("R2 did not store the whole blob");
	} catch (error) {
		await c.env.ATTACHMENTS.delete(key).catch(() => undefined);
		await owner.releaseAttachment(id);
		console.error(`attachment upload failed: ${error instanceof Error ? error.name : "unknown"}`);
		return errorResponse(
			relayError(
				"bad_request",
				"The upload was cut short or longer than its Content-Length; nothing was kept.",
			),
		);
	}
	const expiresAt = await owner.confirmAttachment(id);
	if (expiresAt === null) {
		// Its reservation ran out while the body was arriving (over an hour): the alarm removes it.
		await c.env.ATTACHMENTS.delete(key).catch(() => undefined);
		return errorResponse(relayError("bad_request", "The upload took too long; nothing was kept."));
	}
	const uploaded: AttachmentUploaded = { id, size, expiresAt };
	return c.json(uploaded, 201);
});

attachmentRoutes.get("/:id", bearerSession, verifiedSession, async (c) => {
	const id = v.safeParse(AttachmentId, c.req.param("id"));
	if (!id.success) return errorResponse(relayError("bad_request", "That is not an attachment id."));
	const retentionMs = c.get("config").attachments.retentionMs;
	const gone = () =>
		errorResponse(
			relayError(
				"gone",
				`expired: this file is no longer on the relay (files are kept for ${durationText(retentionMs)}).`,
			),
		);
	const object = await c.env.ATTACHMENTS.get(blobKey(id.output));
	if (object === null) return gone();
	const expiresAt = object.uploaded.getTime() + retentionMs;
	// Exact even if the owner's alarm has not run yet.
	if (expiresAt <= Date.now()) {
		await object.body.cancel();
		return gone();
	}
	return new Response(object.body, {
		headers: {
			"content-type": "application/octet-stream",
			"content-length": String(object.size),
			"cache-control": "no-store",
			[ATTACHMENT_EXPIRES_HEADER]: String(expiresAt),
		},
	});
});
