// Bad input never crashes the object and never changes stored state: malformed frames on an
// authenticated socket answer `error` bad_frame (the socket stays usable), and malformed HTTP requests
// answer with their closed error code.
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLOSE_CODES } from "../../protocol/wire/index.ts";
import { call, expectError, RELAY } from "./helpers/http.ts";
import { newPhone, pathPhone } from "./helpers/phones.ts";
import { type Registered, register, stubOf } from "./helpers/register.ts";
import { connectDrained, messageId, openSocket, randomBody } from "./helpers/socket.ts";

/** Every row of every table of a phone's object, for before/after comparisons. */
async function snapshot(phone: string): Promise<string> {
	return runInDurableObject(stubOf(phone), (_instance, state) => {
		const tables = state.storage.sql
			.exec<{ name: string }>(
				"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name",
			)
			.toArray()
			.map((row) => row.name);
		return JSON.stringify(
			tables.map((table) => [table, state.storage.sql.exec(`SELECT * FROM "${table}"`).toArray()]),
		);
	});
}

async function pair(): Promise<{ alice: Registered; bob: Registered }> {
	return { alice: await register(), bob: await register() };
}

describe("bad frames on an authenticated socket", () => {
	it("are answered with bad_frame, change nothing, and leave the socket working", async () => {
		const { alice, bob } = await pair();
		const { socket: a } = await connectDrained(alice.phone, alice.token);
		// Something stored in Bob's mailbox, so an ack would have something to remove.
		a.send({ type: "send", id: messageId(), to: bob.phone, body: randomBody() });
		await a.next("sent");
		const before = [await snapshot(alice.phone), await snapshot(bob.phone)];
		const body = randomBody();
		const badFrames: string[] = [
			"not json",
			"{",
			"",
			"null",
			"42",
			'"send"',
			"[]",
			JSON.stringify({}),
			JSON.stringify({ type: "nope" }),
			JSON.stringify({ type: "SEND", id: messageId(), to: bob.phone, body }),
			JSON.stringify({ type: "send", id: messageId(), to: bob.phone, body, extra: 1 }),
			JSON.stringify({ type: "send", id: messageId(), to: bob.phone }),
			JSON.stringify({ type: "send", to: bob.phone, body }),
			JSON.stringify({ type: "send", id: "has space", to: bob.phone, body }),
			JSON.stringify({ type: "send", id: "x".repeat(65), to: bob.phone, body }),
			JSON.stringify({ type: "send", id: messageId(), to: "not a phone", body }),
			JSON.stringify({ type: "send", id: messageId(), to: 15555550100, body }),
			JSON.stringify({ type: "send", id: messageId(), to: bob.phone, body: "" }),
			JSON.stringify({ type: "send", id: messageId(), to: bob.phone, body: "a+b/" }),
			JSON.stringify({ type: "send", id: messageId(), to: bob.phone, body: `${body}=` }),
			JSON.stringify({ type: "send", id: messageId(), to: bob.phone, body: "A" }),
			JSON.stringify({ type: "ack", seqs: [] }),
			JSON.stringify({ type: "ack", seqs: [0] }),
			JSON.stringify({ type: "ack", seqs: [-1] }),
			JSON.stringify({ type: "ack", seqs: [1.5] }),
			JSON.stringify({ type: "ack", seqs: ["1"] }),
			JSON.stringify({ type: "ack", seqs: 1 }),
			JSON.stringify({ type: "ack", seqs: Array.from({ length: 513 }, (_, i) => i + 1) }),
			JSON.stringify({ type: "ack", seqs: [1], extra: true }),
			JSON.stringify({ type: "ping", extra: true }),
			JSON.stringify({ type: "hello", protocol: 1, token: alice.token, extra: 1 }),
		];
		for (const frame of badFrames) {
			a.send(frame);
			const error = await a.next("error");
			expect(error.code, frame.slice(0, 80)).toBe("bad_frame");
			expect(error.message.length).toBeGreaterThan(0);
		}
		expect([await snapshot(alice.phone), await snapshot(bob.phone)]).toEqual(before);
		// Still usable.
		a.send({ type: "send", id: messageId(), to: bob.phone, body: randomBody() });
		expect((await a.next("sent")).delivery).toBe("queued");
	});

	it("a binary frame is bad_frame", async () => {
		const { alice, bob } = await pair();
		const { socket: a } = await connectDrained(alice.phone, alice.token);
		const before = await snapshot(alice.phone);
		a.ws.send(
			new TextEncoder().encode(
				JSON.stringify({ type: "send", id: messageId(), to: bob.phone, body: randomBody() }),
			),
		);
		expect((await a.next("error")).code).toBe("bad_frame");
		expect(await snapshot(alice.phone)).toEqual(before);
		expect(await a.untilPong()).toEqual([]);
	});

	it("an oversized frame is too_large, names the send when its id and to lead the frame, and stores nothing", async () => {
		const { alice, bob } = await pair();
		const { socket: a } = await connectDrained(alice.phone, alice.token);
		const before = await snapshot(bob.phone);
		// A valid-looking send whose text exceeds the frame ceiling (envelope limit + overhead).
		const id = messageId();
		a.send({ type: "send", id, to: bob.phone, body: randomBody(100_000) });
		expect(await a.next("error")).toMatchObject({ code: "too_large", id, to: bob.phone });
		// Any spelling of the recipient is answered in E.164, as a `sent` would be.
		const spelled = `+1 (${bob.phone.slice(2, 5)}) ${bob.phone.slice(5, 8)}-${bob.phone.slice(8)}`;
		a.send({ type: "send", id, to: spelled, body: randomBody(100_000) });
		expect(await a.next("error")).toMatchObject({ code: "too_large", id, to: bob.phone });
		// Padding alone can make a frame oversized; nothing names a send there.
		a.send(`{"type":"ping"${" ".repeat(200_000)}}`);
		const padded = await a.next("error");
		expect(padded.code).toBe("too_large");
		expect([padded.id, padded.to]).toEqual([undefined, undefined]);
		// Fields that are not a valid id and phone, or that come only after the body, are not read.
		a.send(`{"type":"send","id":"has space","to":"${bob.phone}","body":"${"A".repeat(100_000)}"}`);
		a.send(`{"type":"send","id":"${id}","to":"not a phone","body":"${"A".repeat(100_000)}"}`);
		a.send(`{"type":"send","body":"${"A".repeat(100_000)}","id":"${id}","to":"${bob.phone}"}`);
		for (let i = 0; i < 3; i++) {
			const error = await a.next("error");
			expect(error.code).toBe("too_large");
			expect([error.id, error.to]).toEqual([undefined, undefined]);
		}
		expect(await snapshot(bob.phone)).toEqual(before);
		expect(await a.untilPong()).toEqual([]);
	});

	it("a send with an empty body is bad_frame with its id and to, and stores nothing", async () => {
		const { alice, bob } = await pair();
		const { socket: a } = await connectDrained(alice.phone, alice.token);
		const before = await snapshot(bob.phone);
		const id = messageId();
		a.send({ type: "send", id, to: bob.phone, body: "" });
		const error = await a.next("error");
		expect(error).toMatchObject({ code: "bad_frame", id, to: bob.phone });
		expect(error.message).toMatch(/body/);
		// Other refused sends name theirs too when id and to are valid; without them, the answer names none.
		a.send({ type: "send", id, to: bob.phone, body: "a+b/" });
		expect(await a.next("error")).toMatchObject({ code: "bad_frame", id, to: bob.phone });
		a.send({ type: "send", id: "has space", to: bob.phone, body: "" });
		const unnamed = await a.next("error");
		expect([unnamed.code, unnamed.id, unnamed.to]).toEqual(["bad_frame", undefined, undefined]);
		expect(await snapshot(bob.phone)).toEqual(before);
		expect(await a.untilPong()).toEqual([]);
	});

	it("unknown_recipient and too_large sends change nothing either", async () => {
		const { alice, bob } = await pair();
		const { socket: a } = await connectDrained(alice.phone, alice.token);
		const before = await snapshot(bob.phone);
		a.send({ type: "send", id: messageId(), to: newPhone(), body: randomBody() });
		expect((await a.next("error")).code).toBe("unknown_recipient");
		a.send({ type: "send", id: messageId(), to: bob.phone, body: randomBody(65537) });
		expect((await a.next("error")).code).toBe("too_large");
		expect(await snapshot(bob.phone)).toEqual(before);
	});
});

describe("bad frames before hello", () => {
	it("an oversized or binary first frame is unauthenticated and closes the socket with 4001; nothing changes", async () => {
		const { alice } = await pair();
		const before = await snapshot(alice.phone);
		const big = await openSocket(alice.phone);
		big.send({ type: "hello", protocol: 1, token: alice.token, pad: "x".repeat(200_000) });
		expect((await big.next("error")).code).toBe("unauthenticated");
		expect((await big.closeEvent()).code).toBe(CLOSE_CODES.unauthenticated);
		const binary = await openSocket(alice.phone);
		binary.ws.send(
			new TextEncoder().encode(JSON.stringify({ type: "hello", protocol: 1, token: alice.token })),
		);
		expect((await binary.next("error")).code).toBe("unauthenticated");
		expect((await binary.closeEvent()).code).toBe(CLOSE_CODES.unauthenticated);
		expect(await snapshot(alice.phone)).toEqual(before);
	});
});

describe("bad HTTP requests", () => {
	it("unknown routes and methods are 404 not_found", async () => {
		await expectError(await call("/v1/nope"), "not_found", 404);
		await expectError(await call("/v1/verification/request"), "not_found", 404);
		await expectError(await call("/v1/session", { method: "POST", body: {} }), "not_found", 404);
		await expectError(await call("/v1/keys", { method: "POST", body: {} }), "not_found", 404);
	});

	it("a body over 64 KiB is too_large, with or without Content-Length", async () => {
		const huge = JSON.stringify({ phone: newPhone(), pad: "x".repeat(70_000) });
		await expectError(await call("/v1/verification/request", { rawBody: huge }), "too_large", 413);
		// A stream of unknown length is sent chunked, without Content-Length.
		const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
		const writer = writable.getWriter();
		void writer.write(new TextEncoder().encode(huge)).then(() => writer.close());
		const stream = readable;
		const response = await exports.default.fetch(`${RELAY}/v1/verification/request`, {
			method: "POST",
			headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.77" },
			body: stream,
		});
		await expectError(response, "too_large", 413);
	});

	it("garbage phone numbers never reach (or create) a phone's object", async () => {
		const before = (await listDurableObjectIds(env.PHONE)).length;
		for (const phone of ["garbage", "+1", "15555550100", "+1 555 CALL NOW", ""]) {
			await expectError(await call("/v1/verification/request", { body: { phone } }), "invalid_phone", 400);
			await expectError(
				await call("/v1/verification/confirm", { body: { phone, code: "123456", identity: {} } }),
				"invalid_phone",
				400,
			);
		}
		expect((await listDurableObjectIds(env.PHONE)).length).toBe(before);
	});

	it("bad requests to the key routes change nothing", async () => {
		const { alice } = await pair();
		const before = await snapshot(alice.phone);
		await expectError(
			await call("/v1/keys", { method: "PUT", token: alice.token, rawBody: "[" }),
			"bad_request",
			400,
		);
		await expectError(
			await call("/v1/keys", { method: "PUT", token: alice.token, body: { oneTimePrekeys: "x" } }),
			"bad_request",
			400,
		);
		await expectError(
			await call(`/v1/keys/${pathPhone("+1")}`, { token: alice.token }),
			"invalid_phone",
			400,
		);
		expect(await snapshot(alice.phone)).toEqual(before);
	});
});
