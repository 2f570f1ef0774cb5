// Attachment blobs (docs/PROTOCOL.md §Attachments): the relay stores opaque, padded Cobblestone-256
// ciphertexts in R2 under an unguessable 128-bit id; the key, digest, size and name travel only inside
// the end-to-end message (protocol/messenger/attachments-content.ts).
//
//   POST /v1/attachments        body: the ciphertext, Content-Length required  → 201 AttachmentUploaded
//   GET  /v1/attachments/:id    → 200 the ciphertext, or 410 `gone` once expired or deleted
//
// Both need a session token. Limits (defaults; docs/DEPLOY.md): 25 MiB per blob, 200 blobs and 1 GiB per
// phone per UTC day, 30 days of storage.
import * as v from "valibot";

/** Default per-blob limit (ATTACHMENT_MAX_BYTES): 25 MiB of ciphertext. */
export const DEFAULT_ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024;
/** The Workers request-body limit on the Free and Pro plans: ATTACHMENT_MAX_BYTES may not exceed it. */
export const WORKERS_REQUEST_MAX_BYTES = 100 * 1024 * 1024;
export const DEFAULT_ATTACHMENTS_PER_DAY = 200;
export const DEFAULT_ATTACHMENT_BYTES_PER_DAY = 1024 * 1024 * 1024;
/** How long a blob is kept (like mailbox entries). */
export const ATTACHMENT_RETENTION_MS = 30 * 24 * 3_600_000;

/** 16 random bytes in base64url (22 characters, no padding). */
export const AttachmentId = v.pipe(
	v.string("attachment id must be a string"),
	v.regex(/^[A-Za-z0-9_-]{21}[AQgw]$/, "attachment id must be 16 bytes in base64url"),
);
export type AttachmentId = v.InferOutput<typeof AttachmentId>;

// 201 from POST /v1/attachments
export const AttachmentUploaded = v.object({
	id: AttachmentId,
	/** Bytes stored (the ciphertext's length). */
	size: v.pipe(v.number(), v.integer(), v.minValue(0)),
	/** When the relay deletes it (ms since epoch). */
	expiresAt: v.pipe(v.number(), v.integer(), v.minValue(0)),
});
export type AttachmentUploaded = v.InferOutput<typeof AttachmentUploaded>;

/** Header on GET /v1/attachments/:id: when the blob expires (ms since epoch). */
export const ATTACHMENT_EXPIRES_HEADER = "x-friendly-expires-at";
