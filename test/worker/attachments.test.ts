// Attachment blobs in R2 (worker/routes/attachments.ts, worker/attachments/attachment-ledger.ts), through
// the real Worker and the phone's Durable Object with miniflare's R2: upload and download byte for byte,
// tokens, the per-blob limit, both daily quotas (exact, with when they reset), interrupted uploads leaving
// nothing, and expiry by the owner's alarm → 410 gone. Limits here come from vitest.config.ts (1 MiB per
// blob, 5 blobs and 3 MiB per day).
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CHUNK_BYTES } from "../../protocol/crypto/chunked-aead.ts";
import {
	type AttachmentRelay,
	downloadAttachment,
	MessengerError,
	uploadAttachment,
} from "../../protocol/messenger/index.ts";
import {
	ATTACHMENT_EXPIRES_HEADER,
	ATTACHMENT_RETENTION_MS,
	AttachmentUploaded,
} from "../../protocol/wire/index.ts";
import { blobKey } from "../../worker/attachments/attachment-ledger.ts";
import { parseRelayConfig } from "../../worker/config/relay-config.ts";
import { call, expectError, expectOk, RELAY } from "./helpers/http.ts";
import { register, stubOf } from "./helpers/register.ts";

const MiB = 1024 * 1024;

function upload(token: string | undefined, body: BodyInit, headers: Record<string, string> = {}) {
	const all = new Headers(headers);
	if (token !== undefined) all.set("authorization", `Bearer ${token}`);
	all.set("cf-connecting-ip", "203.0.113.7");
	return exports.default.fetch(`${RELAY}/v1/attachments`, { method: "POST", headers: all, body });
}

function bytes(length: number, seed = 1): Uint8Array<ArrayBuffer> {
	return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

async function storedKeys(): Promise<string[]> {
	const listed = await env.ATTACHMENTS.list({ prefix: "attachments/" });
	return listed.objects.map((object) => object.key);
}

describe("POST and GET /v1/attachments", () => {
	it("stores a blob under a fresh 128-bit id and hands back the same bytes to another phone", async () => {
		const alice = await register();
		const bob = await register();
		const blob = bytes(300_000);
		const before = Date.now();
		const uploaded = await expectOk(await upload(alice.token, blob), AttachmentUploaded, 201);
		expect(uploaded.size).toBe(blob.length);
		expect(uploaded.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
		expect(uploaded.expiresAt).toBeGreaterThanOrEqual(before + ATTACHMENT_RETENTION_MS);
		const response = await call(`/v1/attachments/${uploaded.id}`, { token: bob.token });
		expect(response.status).toBe(200);
		expect(response.headers.get("content-length")).toBe(String(blob.length));
		expect(response.headers.get("cache-control")).toBe("no-store");
		expect(Number(response.headers.get(ATTACHMENT_EXPIRES_HEADER))).toBeGreaterThan(before);
		expect(new Uint8Array(await response.arrayBuffer())).toEqual(blob);
		const second = await expectOk(await upload(alice.token, blob), AttachmentUploaded, 201);
		expect(second.id).not.toBe(uploaded.id);
	});

	it("an empty blob works", async () => {
		const alice = await register();
		const uploaded = await expectOk(await upload(alice.token, new Uint8Array(0)), AttachmentUploaded, 201);
		expect(uploaded.size).toBe(0);
		const response = await call(`/v1/attachments/${uploaded.id}`, { token: alice.token });
		expect(response.status).toBe(200);
		expect((await response.arrayBuffer()).byteLength).toBe(0);
	});

	it("needs a live token to upload and to download", async () => {
		const alice = await register();
		await expectError(await upload(undefined, bytes(10)), "unauthenticated", 401);
		await expectError(await upload(`${alice.token}x`, bytes(10)), "unauthenticated", 401);
		const uploaded = await expectOk(await upload(alice.token, bytes(10)), AttachmentUploaded, 201);
		await expectError(await call(`/v1/attachments/${uploaded.id}`), "unauthenticated", 401);
		await expectError(
			await call(`/v1/attachments/${uploaded.id}`, { token: `${alice.token}x` }),
			"unauthenticated",
			401,
		);
	});

	it("refuses a blob over the limit before reading it, stating the limit", async () => {
		const alice = await register();
		const keys = await storedKeys();
		const error = await expectError(await upload(alice.token, bytes(MiB + 1)), "too_large", 413);
		expect(error.message).toContain("too large: limit 1 MB");
		expect(await storedKeys()).toEqual(keys);
	});

	it("refuses an upload without Content-Length (411)", async () => {
		const alice = await register();
		const stream = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(bytes(100));
				controller.close();
			},
		});
		await expectError(await upload(alice.token, stream), "length_required", 411);
	});

	it("an upload cut short leaves nothing in R2 and gives its quota back", async () => {
		const alice = await register();
		const keys = await storedKeys();
		let sent = 0;
		const broken = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (sent >= 3) {
					controller.error(new Error("connection dropped"));
					return;
				}
				sent++;
				controller.enqueue(bytes(50_000));
			},
		});
		const response = await upload(alice.token, broken, { "content-length": "500000" });
		expect(response.status).toBeGreaterThanOrEqual(400);
		await response.arrayBuffer();
		expect(await storedKeys()).toEqual(keys);
		await runInDurableObject(stubOf(alice.phone), (_instance, state) => {
			expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM attachments").one().n).toBe(0);
		});
	});

	it("quotas: 5 blobs a day, then quota_exceeded with the time until midnight UTC", async () => {
		const alice = await register();
		for (let i = 0; i < 5; i++)
			await expectOk(await upload(alice.token, bytes(10, i)), AttachmentUploaded, 201);
		const response = await upload(alice.token, bytes(10));
		const error = await expectError(response.clone(), "quota_exceeded", 429);
		const untilMidnight = Math.ceil((86_400_000 - (Date.now() % 86_400_000)) / 1000);
		expect(error.retryAfter).toBeGreaterThan(0);
		expect(error.retryAfter).toBeLessThanOrEqual(untilMidnight + 1);
		expect(response.headers.get("retry-after")).toBe(String(error.retryAfter));
		expect(error.message).toContain("midnight UTC");
		// Another phone's quota is its own.
		const bob = await register();
		await expectOk(await upload(bob.token, bytes(10)), AttachmentUploaded, 201);
	});

	it("quotas: 3 MiB a day, counted exactly", async () => {
		const alice = await register();
		await expectOk(await upload(alice.token, bytes(MiB)), AttachmentUploaded, 201);
		await expectOk(await upload(alice.token, bytes(MiB)), AttachmentUploaded, 201);
		await expectOk(await upload(alice.token, bytes(MiB - 10)), AttachmentUploaded, 201);
		await expectError(await upload(alice.token, bytes(11)), "quota_exceeded", 429);
		await expectOk(await upload(alice.token, bytes(10)), AttachmentUploaded, 201);
	});

	it("the owner's alarm deletes a blob after 30 days; it is then 410 gone", async () => {
		const alice = await register();
		const uploaded = await expectOk(await upload(alice.token, bytes(1000)), AttachmentUploaded, 201);
		expect(await env.ATTACHMENTS.head(blobKey(uploaded.id))).not.toBeNull();
		await runInDurableObject(stubOf(alice.phone), (_instance, state) => {
			const row = state.storage.sql
				.exec<{ state: string; expires_at: number }>(
					"SELECT state, expires_at FROM attachments WHERE id = ?",
					uploaded.id,
				)
				.one();
			expect(row).toEqual({ state: "stored", expires_at: uploaded.expiresAt });
			// 30 days later.
			state.storage.sql.exec(
				"UPDATE attachments SET created_at = created_at - ?, expires_at = ? WHERE id = ?",
				ATTACHMENT_RETENTION_MS,
				Date.now() - 1,
				uploaded.id,
			);
		});
		expect(await runDurableObjectAlarm(stubOf(alice.phone))).toBe(true);
		expect(await env.ATTACHMENTS.head(blobKey(uploaded.id))).toBeNull();
		const error = await expectError(
			await call(`/v1/attachments/${uploaded.id}`, { token: alice.token }),
			"gone",
			410,
		);
		expect(error.message).toContain("expired");
		await runInDurableObject(stubOf(alice.phone), (_instance, state) => {
			expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM attachments").one().n).toBe(0);
		});
	});

	it("a blob deleted the day it was uploaded (a short retention) still counts against that day's quota", async () => {
		const alice = await register();
		const ids: string[] = [];
		for (let i = 0; i < 5; i++)
			ids.push((await expectOk(await upload(alice.token, bytes(10)), AttachmentUploaded, 201)).id);
		await runInDurableObject(stubOf(alice.phone), (_instance, state) => {
			state.storage.sql.exec("UPDATE attachments SET expires_at = ? WHERE id = ?", Date.now() - 1, ids[0]);
		});
		expect(await runDurableObjectAlarm(stubOf(alice.phone))).toBe(true);
		expect(await env.ATTACHMENTS.head(blobKey(ids[0] ?? ""))).toBeNull();
		await expectError(await call(`/v1/attachments/${ids[0]}`, { token: alice.token }), "gone", 410);
		await expectError(await upload(alice.token, bytes(10)), "quota_exceeded", 429);
		await runInDurableObject(stubOf(alice.phone), (_instance, state) => {
			const row = state.storage.sql
				.exec<{ state: string }>("SELECT state FROM attachments WHERE id = ?", ids[0])
				.one();
			expect(row.state).toBe("gone");
		});
	});

	it("an id never stored is 410 gone; a malformed id is 400", async () => {
		const alice = await register();
		await expectError(
			await call("/v1/attachments/AAAAAAAAAAAAAAAAAAAAAA", { token: alice.token }),
			"gone",
			410,
		);
		await expectError(await call("/v1/attachments/..%2F..%2Fx", { token: alice.token }), "bad_request", 400);
		await expectError(await call("/v1/attachments/short", { token: alice.token }), "bad_request", 400);
	});
});

describe("a stored blob changed in R2", () => {
	const sealed = CHUNK_BYTES + 16;
	const changes: [string, (blob: Uint8Array) => Uint8Array][] = [
		[
			"a flipped bit in chunk 1",
			(blob) => {
				const copy = blob.slice();
				copy[56 + sealed + 3] = (copy[56 + sealed + 3] as number) ^ 1;
				return copy;
			},
		],
		["truncated after chunk 1", (blob) => blob.slice(0, 56 + 2 * sealed)],
		[
			"chunks 0 and 1 swapped",
			(blob) => {
				const out = blob.slice();
				out.set(blob.subarray(56 + sealed, 56 + 2 * sealed), 56);
				out.set(blob.subarray(56, 56 + sealed), 56 + sealed);
				return out;
			},
		],
	];

	it.each(changes)("%s: the receiver's check refuses it (attachment_damaged)", async (_what, change) => {
		const alice = await register();
		const relay: AttachmentRelay = {
			relayUrl: RELAY,
			token: alice.token,
			fetch: (input, init) => exports.default.fetch(input, init),
		};
		const file = bytes(3 * CHUNK_BYTES + 100, 5);
		const pointer = await uploadAttachment(relay, new Blob([file]).stream(), {
			size: file.length,
			name: "x.bin",
			contentType: "application/octet-stream",
		});
		// Unchanged, it decrypts to the file.
		expect(
			new Uint8Array(await new Response(await downloadAttachment(relay, pointer)).arrayBuffer()),
		).toEqual(file);
		const stored = await env.ATTACHMENTS.get(blobKey(pointer.id));
		if (!stored) throw new Error("blob missing");
		await env.ATTACHMENTS.put(blobKey(pointer.id), change(new Uint8Array(await stored.arrayBuffer())));
		const error = await new Response(await downloadAttachment(relay, pointer)).arrayBuffer().then(
			() => undefined,
			(caught: unknown) => caught,
		);
		expect(error).toBeInstanceOf(MessengerError);
		expect((error as MessengerError).code).toBe("attachment_damaged");
	});
});

describe("attachment settings", () => {
	const problems = (raw: Record<string, unknown>) => {
		const result = parseRelayConfig(raw);
		return result.ok ? [] : result.problems;
	};

	it("default to 25 MiB per blob, 200 blobs and 1 GiB per day, kept 30 days", () => {
		const result = parseRelayConfig({});
		if (!result.ok) throw new Error(result.problems.join("; "));
		expect(result.config.attachments).toEqual({
			maxBytes: 25 * MiB,
			perDay: 200,
			bytesPerDay: 1024 * MiB,
			retentionMs: ATTACHMENT_RETENTION_MS,
		});
	});

	it("take a shorter retention only outside production, and never a longer one", () => {
		const result = parseRelayConfig({ ATTACHMENT_RETENTION_SECONDS: "2" });
		expect(result.ok && result.config.attachments.retentionMs).toBe(2000);
		expect(problems({ ATTACHMENT_RETENTION_SECONDS: "2592001" }).join()).toContain(
			"ATTACHMENT_RETENTION_SECONDS must be at most 2592000",
		);
		const production = {
			ENVIRONMENT: "production",
			CODE_DELIVERY: "webhook",
			WEBHOOK_URL: "https://sms.example.org/send",
			WEBHOOK_SECRET: "s".repeat(32),
			CODE_HASH_KEY: "k".repeat(32),
		};
		expect(problems(production)).toEqual([]);
		expect(problems({ ...production, ATTACHMENT_RETENTION_SECONDS: "60" }).join()).toContain(
			"ATTACHMENT_RETENTION_SECONDS is for tests only",
		);
	});

	it("refuse a blob limit above the Workers request limit, or a daily budget below one blob", () => {
		expect(problems({ ATTACHMENT_MAX_BYTES: String(100 * MiB + 1) }).join()).toContain(
			"ATTACHMENT_MAX_BYTES must be at most 104857600",
		);
		expect(problems({ ATTACHMENT_MAX_BYTES: String(100 * MiB) })).toEqual([]);
		expect(problems({ ATTACHMENT_MAX_BYTES: "2000", ATTACHMENT_BYTES_PER_DAY: "1999" }).join()).toContain(
			"ATTACHMENT_BYTES_PER_DAY must be at least ATTACHMENT_MAX_BYTES",
		);
		expect(problems({ ATTACHMENTS_PER_DAY: "0" }).join()).toContain("ATTACHMENTS_PER_DAY must be at least 1");
	});
});
