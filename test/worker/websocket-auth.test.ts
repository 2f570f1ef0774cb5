// WebSocket GET /v1/connect/:phone: upgrade, Origin allowlist, hello within the deadline, protocol
// version, one live connection per phone.
import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLOSE_CODES } from "../../protocol/wire/index.ts";
import { createRelayApp } from "../../worker/app.ts";
import { call, expectError, RELAY } from "./helpers/http.ts";
import { newPhone, pathPhone } from "./helpers/phones.ts";
import { register, stubOf } from "./helpers/register.ts";
import { connect, connectDrained, messageId, openSocket, randomBody, TestSocket } from "./helpers/socket.ts";

function upgrade(path: string, headers: Record<string, string> = {}) {
	return exports.default.fetch(`${RELAY}${path}`, { headers: { Upgrade: "websocket", ...headers } });
}

/** Moves every pending socket's hello deadline into the past. */
async function expireHelloDeadlines(phone: string): Promise<number> {
	return runInDurableObject(stubOf(phone), (_instance, state) => {
		let moved = 0;
		for (const ws of state.getWebSockets()) {
			const attachment = ws.deserializeAttachment() as { state?: string } | null;
			if (attachment?.state === "pending") {
				ws.serializeAttachment({ state: "pending", deadline: Date.now() - 1 });
				moved += 1;
			}
		}
		return moved;
	});
}

describe("upgrade and Origin", () => {
	it("a plain GET without Upgrade is refused with 426", async () => {
		const { phone } = await register();
		await expectError(await call(`/v1/connect/${pathPhone(phone)}`), "bad_request", 426);
	});

	it("a foreign Origin is 403 forbidden_origin", async () => {
		const { phone } = await register();
		await expectError(
			await upgrade(`/v1/connect/${pathPhone(phone)}`, { Origin: "https://evil.example" }),
			"forbidden_origin",
			403,
		);
		// Same host, other scheme or port: a different origin.
		await expectError(
			await upgrade(`/v1/connect/${pathPhone(phone)}`, { Origin: "https://relay.test" }),
			"forbidden_origin",
			403,
		);
		await expectError(
			await upgrade(`/v1/connect/${pathPhone(phone)}`, { Origin: "http://relay.test:8080" }),
			"forbidden_origin",
			403,
		);
		await expectError(
			await upgrade(`/v1/connect/${pathPhone(phone)}`, { Origin: "null" }),
			"forbidden_origin",
			403,
		);
	});

	it("the relay's own origin and no Origin header are allowed", async () => {
		const { phone, token } = await register();
		const own = await openSocket(phone, { Origin: RELAY });
		own.send({ type: "hello", protocol: 1, token });
		await own.next("ready");
		await own.next("drained");
		const { socket } = await connectDrained(phone, token);
		expect((await own.closeEvent()).code).toBe(CLOSE_CODES.replaced);
		socket.close();
	});

	it("origins listed in ALLOWED_ORIGINS are allowed, others still refused", async () => {
		const { phone, token } = await register();
		const app = createRelayApp();
		const configured = { ...env, ALLOWED_ORIGINS: "https://app.example, https://other.example" };
		const open = (origin: string) =>
			app.fetch(
				new Request(`${RELAY}/v1/connect/${pathPhone(phone)}`, {
					headers: { Upgrade: "websocket", Origin: origin },
				}),
				configured,
			);
		const response = await open("https://app.example");
		expect(response.status).toBe(101);
		const ws = response.webSocket;
		if (!ws) throw new Error("no socket");
		ws.accept();
		const socket = new TestSocket(ws);
		socket.send({ type: "hello", protocol: 1, token });
		expect((await socket.next("ready")).phone).toBe(phone);
		await expectError(await open("https://evil.example"), "forbidden_origin", 403);
		await expectError(await open("https://app.example.evil.example"), "forbidden_origin", 403);
	});

	it.each([
		["garbage", "garbage"],
		["no plus", "15555550100"],
		["bad percent escape", "%25"],
		["too short", "%2B1555"],
	])("an impossible phone (%s) is 400 invalid_phone", async (_name, path) => {
		await expectError(await upgrade(`/v1/connect/${path}`), "invalid_phone", 400);
	});

	it("accepts any spelling of the phone in the path", async () => {
		const { phone, token } = await register();
		const spelled = encodeURIComponent(`+1 (${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`);
		const response = await upgrade(`/v1/connect/${spelled}`);
		expect(response.status).toBe(101);
		const ws = response.webSocket;
		if (!ws) throw new Error("no socket");
		ws.accept();
		const socket = new TestSocket(ws);
		socket.send({ type: "hello", protocol: 1, token });
		expect((await socket.next("ready")).phone).toBe(phone);
	});
});

describe("hello", () => {
	it("hello with the right protocol and token gets ready, pending and drained", async () => {
		const { phone, token } = await register();
		const { socket, ready } = await connect(phone, token);
		expect(ready).toEqual({ type: "ready", protocol: 1, phone, pending: 0 });
		await socket.next("drained");
	});

	it("a wrong protocol version closes with 4003", async () => {
		const { phone, token } = await register();
		for (const protocol of [0, 2, 999]) {
			const socket = await openSocket(phone);
			socket.send({ type: "hello", protocol, token });
			expect((await socket.next("error")).code).toBe("unsupported_protocol");
			expect((await socket.closeEvent()).code).toBe(CLOSE_CODES.unsupportedProtocol);
		}
	});

	it("a first frame that is not hello closes with 4001", async () => {
		const { phone } = await register();
		const other = await register();
		// (The exact keep-alive text PING_TEXT is answered by the runtime itself, authenticated or not.)
		for (const frame of [
			'{ "type": "ping" }',
			{ type: "send", id: messageId(), to: other.phone, body: randomBody() },
			{ type: "ack", seqs: [1] },
			"not json",
			{ type: "hello", protocol: "1", token: "x" },
		]) {
			const socket = await openSocket(phone);
			socket.send(frame);
			expect((await socket.next("error")).code).toBe("unauthenticated");
			expect((await socket.closeEvent()).code).toBe(CLOSE_CODES.unauthenticated);
		}
		// Nothing was delivered by the unauthenticated send.
		const { ready } = await connect(other.phone, other.token);
		expect(ready.pending).toBe(0);
	});

	it("a socket that never says hello is closed with 4002 by the alarm", async () => {
		const { phone, token } = await register();
		const idle = await openSocket(phone);
		// A socket authenticated meanwhile is untouched by the deadline.
		const { socket: live } = await connectDrained(phone, token);
		// The pending socket carries a 10 s deadline, and the object's alarm is due by then.
		const { deadline, alarm, now } = await runInDurableObject(stubOf(phone), async (_instance, state) => {
			const pending = state
				.getWebSockets()
				.map((ws) => ws.deserializeAttachment() as { state?: string; deadline?: number } | null)
				.find((attachment) => attachment?.state === "pending");
			return { deadline: pending?.deadline ?? 0, alarm: await state.storage.getAlarm(), now: Date.now() };
		});
		expect(deadline).toBeGreaterThan(now);
		expect(deadline).toBeLessThanOrEqual(now + 10_000);
		expect(alarm).not.toBeNull();
		expect(alarm ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(deadline);
		expect(await expireHelloDeadlines(phone)).toBe(1);
		expect(await runDurableObjectAlarm(stubOf(phone))).toBe(true);
		expect((await idle.closeEvent()).code).toBe(CLOSE_CODES.authTimeout);
		expect(await live.untilPong()).toEqual([]);
	});

	it("the alarm leaves a pending socket alone before its deadline", async () => {
		const { phone, token } = await register();
		const socket = await openSocket(phone);
		expect(await runDurableObjectAlarm(stubOf(phone))).toBe(true);
		socket.send({ type: "hello", protocol: 1, token });
		await socket.next("ready");
		await socket.next("drained");
	});

	it("hello for a phone that never registered is refused with 4001", async () => {
		const phone = newPhone();
		const socket = await openSocket(phone);
		socket.send({ type: "hello", protocol: 1, token: `${phone.slice(1)}.${"A".repeat(43)}` });
		expect((await socket.next("error")).code).toBe("unauthenticated");
		expect((await socket.closeEvent()).code).toBe(CLOSE_CODES.unauthenticated);
		const ids = await listDurableObjectIds(env.PHONE);
		expect(ids.some((id) => id.equals(env.PHONE.idFromName(phone)))).toBe(true);
	});

	it("a second hello on an authenticated socket is bad_frame and keeps the socket", async () => {
		const { phone, token } = await register();
		const { socket } = await connectDrained(phone, token);
		socket.send({ type: "hello", protocol: 1, token });
		expect((await socket.next("error")).code).toBe("bad_frame");
		expect(await socket.untilPong()).toEqual([]);
	});
});

describe("one connection per phone", () => {
	it("a second connection replaces the first (4000) and gets live messages", async () => {
		const me = await register();
		const sender = await register();
		const { socket: first } = await connectDrained(me.phone, me.token);
		const { socket: second } = await connectDrained(me.phone, me.token);
		expect((await first.closeEvent()).code).toBe(CLOSE_CODES.replaced);
		const { socket: from } = await connectDrained(sender.phone, sender.token);
		const id = messageId();
		from.send({ type: "send", id, to: me.phone, body: randomBody() });
		expect((await from.next("sent")).delivery).toBe("live");
		expect((await second.next("message")).id).toBe(id);
	});

	it("two hellos at once leave exactly one connection", async () => {
		const me = await register();
		const first = await openSocket(me.phone);
		const second = await openSocket(me.phone);
		first.send({ type: "hello", protocol: 1, token: me.token });
		second.send({ type: "hello", protocol: 1, token: me.token });
		const loser = await Promise.race([
			first.closeEvent().then((closed) => ({ closed, winner: second })),
			second.closeEvent().then((closed) => ({ closed, winner: first })),
		]);
		expect(loser.closed.code).toBe(CLOSE_CODES.replaced);
		await loser.winner.next("ready");
		await loser.winner.next("drained");
		expect(await loser.winner.untilPong()).toEqual([]);
	});

	it("messages reach a replacing connection live even before the replaced socket finished closing", async () => {
		const me = await register();
		const sender = await register();
		const { socket: from } = await connectDrained(sender.phone, sender.token);
		const { socket: first } = await connectDrained(me.phone, me.token);
		const { socket: second } = await connectDrained(me.phone, me.token);
		const id = messageId();
		from.send({ type: "send", id, to: me.phone, body: randomBody() });
		expect((await from.next("sent")).delivery).toBe("live");
		expect((await second.next("message")).id).toBe(id);
		expect((await first.closeEvent()).code).toBe(CLOSE_CODES.replaced);
	});
});
