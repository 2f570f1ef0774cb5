// Eviction with hibernated WebSockets loses nothing: the same sockets keep sending, receiving and
// acking, the mailbox is intact, and in-memory state is rebuilt from storage and attachments.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLOSE_CODES, PING_TEXT } from "../../protocol/wire/index.ts";
import { call } from "./helpers/http.ts";
import { register, stubOf } from "./helpers/register.ts";
import { connectDrained, messageId, openSocket, randomBody } from "./helpers/socket.ts";
import { expectStoredRows } from "./helpers/storage.ts";

async function hibernate(...phones: string[]) {
	for (const phone of phones) await evictDurableObject(stubOf(phone), { webSockets: "hibernate" });
}

describe("eviction with hibernated sockets", () => {
	it("continues on the same sockets: send, receive, ack, receipt", async () => {
		const alice = await register();
		const bob = await register();
		const { socket: a } = await connectDrained(alice.phone, alice.token);
		const { socket: b } = await connectDrained(bob.phone, bob.token);

		// Something queued but not yet acked before the eviction.
		const before = messageId();
		a.send({ type: "send", id: before, to: bob.phone, body: randomBody() });
		expect((await a.next("sent")).delivery).toBe("live");
		const first = await b.next("message");
		expect(first.id).toBe(before);

		await hibernate(alice.phone, bob.phone);
		await expectStoredRows(bob.phone, "mailbox", 1);

		const after = messageId();
		const body = randomBody();
		a.send({ type: "send", id: after, to: bob.phone, body });
		expect((await a.next("sent")).delivery).toBe("live");
		const second = await b.next("message");
		expect(second).toMatchObject({ id: after, body, from: alice.phone });
		expect(second.seq).toBeGreaterThan(first.seq);

		await hibernate(bob.phone);
		b.send({ type: "ack", seqs: [first.seq, second.seq] });
		const receipts = [await a.next("receipt"), await a.next("receipt")];
		expect(receipts.map((receipt) => receipt.id)).toEqual([before, after]);
		await expectStoredRows(bob.phone, "mailbox", 0);

		await hibernate(alice.phone);
		a.send({ type: "ack", seqs: receipts.map((receipt) => receipt.seq) });
		expect(await a.untilPong()).toEqual([]);
		await expectStoredRows(alice.phone, "mailbox", 0);
	});

	it("an object evicted between an ack and its deferred deletion redelivers the entry; nothing is lost", async () => {
		const alice = await register();
		const bob = await register();
		const { socket: a } = await connectDrained(alice.phone, alice.token);
		const { socket: b } = await connectDrained(bob.phone, bob.token);
		const id = messageId();
		a.send({ type: "send", id, to: bob.phone, body: randomBody() });
		expect((await a.next("sent")).delivery).toBe("live");
		const message = await b.next("message");
		b.send({ type: "ack", seqs: [message.seq] });
		expect((await a.next("receipt")).id).toBe(id);
		// The deletion waits for the object's next write (or a timer); eviction discards it.
		await evictDurableObject(stubOf(bob.phone), { webSockets: "close" });
		const again = await connectDrained(bob.phone, bob.token);
		expect(again.backlog).toEqual([expect.objectContaining({ type: "message", seq: message.seq, id })]);
		again.socket.send({ type: "ack", seqs: [message.seq] });
		await expectStoredRows(bob.phone, "mailbox", 0);
	});

	it("the mailbox of an offline recipient survives eviction and is delivered on connect", async () => {
		const alice = await register();
		const bob = await register();
		const { socket: a } = await connectDrained(alice.phone, alice.token);
		const ids: string[] = [];
		for (let i = 0; i < 3; i++) {
			const id = messageId();
			ids.push(id);
			a.send({ type: "send", id, to: bob.phone, body: randomBody() });
			expect((await a.next("sent")).delivery).toBe("queued");
		}
		await hibernate(bob.phone, alice.phone);
		const { backlog } = await connectDrained(bob.phone, bob.token);
		expect(backlog.map((frame) => frame.type === "message" && frame.id)).toEqual(ids);
	});

	it("a hibernated authenticated socket stays authenticated; a new one still replaces it", async () => {
		const me = await register();
		const { socket: first } = await connectDrained(me.phone, me.token);
		await hibernate(me.phone);
		first.send({ type: "hello", protocol: 1, token: me.token });
		expect((await first.next("error")).code).toBe("bad_frame");
		const { socket: second } = await connectDrained(me.phone, me.token);
		expect((await first.closeEvent()).code).toBe(CLOSE_CODES.replaced);
		await hibernate(me.phone);
		expect(await second.untilPong()).toEqual([]);
	});

	it("the hello deadline survives eviction (4002 from the alarm)", async () => {
		const me = await register();
		const idle = await openSocket(me.phone);
		await hibernate(me.phone);
		await runInDurableObject(stubOf(me.phone), (_instance, state) => {
			for (const ws of state.getWebSockets())
				ws.serializeAttachment({ state: "pending", deadline: Date.now() - 1 });
		});
		expect(await runDurableObjectAlarm(stubOf(me.phone))).toBe(true);
		expect((await idle.closeEvent()).code).toBe(CLOSE_CODES.authTimeout);
	});

	it("a pending socket can still say hello after eviction", async () => {
		const me = await register();
		const socket = await openSocket(me.phone);
		await hibernate(me.phone);
		socket.send({ type: "hello", protocol: 1, token: me.token });
		expect((await socket.next("ready")).phone).toBe(me.phone);
		await socket.next("drained");
	});

	it("the keep-alive ping is answered while the object is evicted", async () => {
		const me = await register();
		const { socket } = await connectDrained(me.phone, me.token);
		await hibernate(me.phone);
		socket.send(PING_TEXT);
		await socket.next("pong");
	});

	it("revocation after eviction still closes the socket with 4004", async () => {
		const me = await register();
		const { socket } = await connectDrained(me.phone, me.token);
		await hibernate(me.phone);
		expect((await call("/v1/session", { method: "DELETE", token: me.token })).status).toBe(204);
		expect((await socket.closeEvent()).code).toBe(CLOSE_CODES.revoked);
	});
});
