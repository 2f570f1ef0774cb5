// Delivery: order per sender, ready/backlog/drained, removal only on ack, redelivery, idempotent
// resends, receipts (live and queued), and acks of unknown seqs.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { connectedPair, register, stubOf } from "./helpers/register.ts";
import { connectDrained, messageId, online, randomBody, type TestSocket } from "./helpers/socket.ts";
import { expectStoredRows, storedRows } from "./helpers/storage.ts";

async function sendOk(socket: TestSocket, to: string, body = randomBody(), id = messageId()) {
	socket.send({ type: "send", id, to, body });
	const sent = await socket.next("sent", ["receipt"]);
	expect(sent.id).toBe(id);
	return { id, body, delivery: sent.delivery };
}

describe("backlog on connect", () => {
	it("sends ready {pending}, the backlog in order with bodies and senders, then drained", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		const sent: { id: string; body: string }[] = [];
		for (let i = 0; i < 5; i++) sent.push(await sendOk(a, bob.phone));
		const { ready, backlog } = await connectDrained(bob.phone, bob.token);
		expect(ready.pending).toBe(5);
		expect(backlog).toHaveLength(5);
		backlog.forEach((frame, i) => {
			expect(frame).toMatchObject({
				type: "message",
				from: alice.phone,
				id: sent[i]?.id,
				body: sent[i]?.body,
			});
		});
		const seqs = backlog.map((frame) => (frame.type === "message" ? frame.seq : 0));
		expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
	});

	it("keeps each sender's messages in order when sent back to back", async () => {
		const alice = await register();
		const carol = await register();
		const bob = await register();
		const a = await online(alice);
		const c = await online(carol);
		const b = await online(bob);
		const fromAlice: string[] = [];
		const fromCarol: string[] = [];
		// 10 each: together exactly the (test) mailbox cap of 20.
		for (let i = 0; i < 10; i++) {
			const ida = messageId();
			const idc = messageId();
			fromAlice.push(ida);
			fromCarol.push(idc);
			a.send({ type: "send", id: ida, to: bob.phone, body: randomBody() });
			c.send({ type: "send", id: idc, to: bob.phone, body: randomBody() });
		}
		const received: { from: string; id: string }[] = [];
		for (let i = 0; i < 20; i++) {
			const message = await b.next("message");
			received.push({ from: message.from, id: message.id });
		}
		expect(received.filter((m) => m.from === alice.phone).map((m) => m.id)).toEqual(fromAlice);
		expect(received.filter((m) => m.from === carol.phone).map((m) => m.id)).toEqual(fromCarol);
	});
});

describe("acks", () => {
	it("a message leaves the mailbox only after ack; unacked ones are redelivered on reconnect", async () => {
		const { bob, a, b } = await connectedPair();
		const one = await sendOk(a, bob.phone);
		const two = await sendOk(a, bob.phone);
		const m1 = await b.next("message");
		const m2 = await b.next("message");
		expect([m1.id, m2.id]).toEqual([one.id, two.id]);
		await expectStoredRows(bob.phone, "mailbox", 2);
		b.send({ type: "ack", seqs: [m1.seq] });
		expect(await b.untilPong()).toEqual([]);
		await expectStoredRows(bob.phone, "mailbox", 1);
		b.close();
		const again = await connectDrained(bob.phone, bob.token);
		expect(again.ready.pending).toBe(1);
		expect(again.backlog).toEqual([
			expect.objectContaining({ type: "message", seq: m2.seq, id: two.id, body: two.body }),
		]);
		// And again, until acked.
		again.socket.close();
		const third = await connectDrained(bob.phone, bob.token);
		expect(third.backlog.map((frame) => frame.type === "message" && frame.id)).toEqual([two.id]);
		third.socket.send({ type: "ack", seqs: [m2.seq] });
		expect(await third.socket.untilPong()).toEqual([]);
		third.socket.close();
		expect((await connectDrained(bob.phone, bob.token)).ready.pending).toBe(0);
	});

	it("acking an unknown seq is unknown_message and acks the known ones in the same frame", async () => {
		const { bob, a, b } = await connectedPair();
		await sendOk(a, bob.phone);
		const message = await b.next("message");
		b.send({ type: "ack", seqs: [message.seq, 987654] });
		const error = await b.next("error");
		expect(error.code).toBe("unknown_message");
		expect(error.message).toContain("987654");
		await expectStoredRows(bob.phone, "mailbox", 0);
		// Acking twice: the second is unknown.
		b.send({ type: "ack", seqs: [message.seq] });
		expect((await b.next("error")).code).toBe("unknown_message");
	});

	it("an acknowledged entry is not redelivered to a connection opened right after the ack", async () => {
		const { bob, a, b } = await connectedPair();
		const kept = await sendOk(a, bob.phone);
		const acked = await sendOk(a, bob.phone);
		await b.next("message");
		const message = await b.next("message");
		expect(message.id).toBe(acked.id);
		b.send({ type: "ack", seqs: [message.seq] });
		// The receipt shows the ack was applied; its row may still await the next write.
		expect((await a.next("receipt")).id).toBe(acked.id);
		b.close();
		const again = await connectDrained(bob.phone, bob.token);
		expect(again.backlog.map((frame) => frame.type === "message" && frame.id)).toEqual([kept.id]);
		await expectStoredRows(bob.phone, "mailbox", 1);
	});

	it("acks can ride on a send frame: the receipts go, the message is sent", async () => {
		const { alice, bob, a, b } = await connectedPair();
		const first = await sendOk(a, bob.phone);
		const message = await b.next("message");
		b.send({ type: "ack", seqs: [message.seq] });
		const receipt = await a.next("receipt");
		expect(receipt.id).toBe(first.id);
		await expectStoredRows(alice.phone, "mailbox", 1);
		const second = messageId();
		a.send({ type: "send", id: second, to: bob.phone, body: randomBody(), acks: [receipt.seq] });
		expect(await a.next("sent")).toMatchObject({ id: second, delivery: "live" });
		expect((await b.next("message")).id).toBe(second);
		await expectStoredRows(alice.phone, "mailbox", 0);
		expect(await a.untilPong()).toEqual([]);
	});

	it("unknown seqs riding on a send frame are unknown_message; the send still goes through", async () => {
		const { bob, a, b } = await connectedPair();
		const id = messageId();
		a.send({ type: "send", id, to: bob.phone, body: randomBody(), acks: [424242] });
		const answers = [await a.nextAny(), await a.nextAny()];
		expect(answers).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ type: "error", code: "unknown_message" }),
				expect.objectContaining({ type: "sent", id }),
			]),
		);
		expect((await b.next("message")).id).toBe(id);
	});

	it("acking someone else's seq cannot touch their mailbox", async () => {
		const alice = await register();
		const bob = await register();
		const carol = await register();
		const a = await online(alice);
		const c = await online(carol);
		await sendOk(a, bob.phone);
		const bobSeq = await runInDurableObject(
			stubOf(bob.phone),
			(_instance, state) => state.storage.sql.exec<{ seq: number }>("SELECT seq FROM mailbox").one().seq,
		);
		await expectStoredRows(carol.phone, "mailbox", 0);
		c.send({ type: "ack", seqs: [bobSeq] });
		expect((await c.next("error")).code).toBe("unknown_message");
		await expectStoredRows(bob.phone, "mailbox", 1);
		const { backlog } = await connectDrained(bob.phone, bob.token);
		expect(backlog).toEqual([expect.objectContaining({ type: "message", seq: bobSeq })]);
	});
});

describe("resends", () => {
	it("a resent message id (same sender, same id) is stored and delivered once", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		const body = randomBody();
		const id = messageId();
		await sendOk(a, bob.phone, body, id);
		await sendOk(a, bob.phone, body, id);
		await sendOk(a, bob.phone, randomBody(), id);
		await expectStoredRows(bob.phone, "mailbox", 1);
		const { backlog } = await connectDrained(bob.phone, bob.token);
		expect(backlog).toEqual([expect.objectContaining({ id, body })]);
	});

	it("a resend after the recipient acked the message is delivered again under a new seq: the relay remembers no id, the client drops the repeat", async () => {
		const { alice, bob, a, b } = await connectedPair();
		const { id, body } = await sendOk(a, bob.phone);
		const message = await b.next("message");
		b.send({ type: "ack", seqs: [message.seq] });
		const receipt = await a.next("receipt");
		expect(receipt.id).toBe(id);
		a.send({ type: "ack", seqs: [receipt.seq] });
		await expectStoredRows(bob.phone, "mailbox", 0);
		// The sender lost the `sent` answer (say) and resends, after the ack.
		a.send({ type: "send", id, to: bob.phone, body });
		const again = await b.next("message");
		expect(again).toMatchObject({ id, body, from: alice.phone });
		expect(again.seq).toBeGreaterThan(message.seq);
		// Bob's client knows the id (protocol/session) and acks it without showing it: a receipt again.
		b.send({ type: "ack", seqs: [again.seq] });
		expect(await a.next("sent")).toMatchObject({ id, delivery: "live" });
		expect((await a.next("receipt")).id).toBe(id);
		await expectStoredRows(bob.phone, "mailbox", 0);
		expect(await storedRows(bob.phone, "delivered")).toBe(0);
		b.close();
		expect((await connectDrained(bob.phone, bob.token)).ready.pending).toBe(0);
	});

	it("a discarded message leaves without a receipt and without its id remembered: a resend under the same id is delivered again", async () => {
		const { bob, a, b } = await connectedPair();
		const { id, body } = await sendOk(a, bob.phone);
		const message = await b.next("message");
		b.send({ type: "discard", seqs: [message.seq] });
		expect(await b.untilPong()).toEqual([]);
		await expectStoredRows(bob.phone, "mailbox", 0);
		await expectStoredRows(bob.phone, "delivered", 0);
		// No receipt reaches the sender: it hears why from the recipient's signed delivery notice.
		expect((await a.untilPong()).filter((frame) => frame.type === "receipt")).toEqual([]);
		// The sender re-sends under the same id (over a new session): stored and delivered again.
		await sendOk(a, bob.phone, body, id);
		expect((await b.next("message")).id).toBe(id);
		// Discarding what is not in the mailbox is an unknown_message error, like an ack.
		b.send({ type: "discard", seqs: [message.seq] });
		expect((await b.next("error")).code).toBe("unknown_message");
	});

	it("ids an older relay remembered (the `delivered` table) are forgotten after the 30-day retention (alarm-driven)", async () => {
		const { alice, bob, a, b } = await connectedPair();
		const { id } = await sendOk(a, bob.phone);
		const message = await b.next("message");
		b.send({ type: "ack", seqs: [message.seq] });
		expect((await a.next("receipt")).id).toBe(id);
		await expectStoredRows(bob.phone, "mailbox", 0);
		// Nothing remembered now; a row as the relay wrote them before 2026-12-01, due for expiry.
		expect(await storedRows(bob.phone, "delivered")).toBe(0);
		await runInDurableObject(stubOf(bob.phone), (_instance, state) => {
			state.storage.sql.exec(
				"INSERT INTO delivered (peer, message_id, expires_at) VALUES (?, ?, ?)",
				alice.phone,
				id,
				Date.now() - 1,
			);
		});
		expect(await runDurableObjectAlarm(stubOf(bob.phone))).toBe(true);
		expect(await storedRows(bob.phone, "delivered")).toBe(0);
	});

	it("the same id from two senders is two messages", async () => {
		const alice = await register();
		const carol = await register();
		const bob = await register();
		const id = messageId();
		await sendOk(await online(alice), bob.phone, randomBody(), id);
		await sendOk(await online(carol), bob.phone, randomBody(), id);
		const { backlog } = await connectDrained(bob.phone, bob.token);
		expect(backlog.map((frame) => frame.type === "message" && frame.from)).toEqual([
			alice.phone,
			carol.phone,
		]);
	});

	it("a resend while the recipient is connected is not pushed twice", async () => {
		const { bob, a, b } = await connectedPair();
		const id = messageId();
		await sendOk(a, bob.phone, randomBody(), id);
		await sendOk(a, bob.phone, randomBody(), id);
		expect((await b.next("message")).id).toBe(id);
		expect(await b.untilPong()).toEqual([]);
	});
});

describe("receipts", () => {
	it("reaches a connected sender when the recipient acks", async () => {
		const { alice, bob, a, b } = await connectedPair();
		const { id } = await sendOk(a, bob.phone);
		const message = await b.next("message");
		expect(await a.untilPong()).toEqual([]);
		b.send({ type: "ack", seqs: [message.seq] });
		const receipt = await a.next("receipt");
		expect(receipt).toMatchObject({ to: bob.phone, id });
		// The receipt is itself a mailbox entry the sender acks.
		await expectStoredRows(alice.phone, "mailbox", 1);
		a.send({ type: "ack", seqs: [receipt.seq] });
		expect(await a.untilPong()).toEqual([]);
		await expectStoredRows(alice.phone, "mailbox", 0);
	});

	it("every ack's receipt arrives when acks come in quick succession", async () => {
		const alice = await register();
		const carol = await register();
		const bob = await register();
		const a = await online(alice);
		const c = await online(carol);
		const b = await online(bob);
		const ids: string[] = [];
		for (let i = 0; i < 5; i++) ids.push((await sendOk(a, bob.phone)).id);
		const fromCarol = await sendOk(c, bob.phone);
		const seqs: number[] = [];
		for (let i = 0; i < 6; i++) seqs.push((await b.next("message")).seq);
		// One ack frame per message, back to back: each ack adds to the outbox while earlier receipts
		// are still on their way.
		for (const seq of seqs) b.send({ type: "ack", seqs: [seq] });
		const receipts: string[] = [];
		for (let i = 0; i < 5; i++) receipts.push((await a.next("receipt")).id);
		expect(receipts).toEqual(ids);
		expect((await c.next("receipt")).id).toBe(fromCarol.id);
	});

	it("a receipt left in the outbox (an earlier failed flush) is sent by the alarm", async () => {
		const { alice, bob, a, b } = await connectedPair();
		// Bob's object knows its phone once it has served him; seed the state a failed flush leaves behind.
		expect(await b.untilPong()).toEqual([]);
		await runInDurableObject(stubOf(bob.phone), async (_instance, state) => {
			state.storage.sql.exec(
				"INSERT INTO outbox (kind, target, message_id, at) VALUES ('receipt', ?, 'lost-receipt', ?)",
				alice.phone,
				Date.now(),
			);
			await state.storage.setAlarm(Date.now() + 10_000);
		});
		expect(await runDurableObjectAlarm(stubOf(bob.phone))).toBe(true);
		expect(await a.next("receipt")).toMatchObject({ to: bob.phone, id: "lost-receipt" });
		await expectStoredRows(bob.phone, "outbox", 0);
	});

	it("is queued in the sender's mailbox when the sender is offline", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		const { id } = await sendOk(a, bob.phone);
		a.close();
		const { socket: b, backlog } = await connectDrained(bob.phone, bob.token);
		const message = backlog[0];
		if (message?.type !== "message") throw new Error("expected the message");
		b.send({ type: "ack", seqs: [message.seq] });
		expect(await b.untilPong()).toEqual([]);
		await expectStoredRows(alice.phone, "mailbox", 1);
		const { ready, backlog: aliceBacklog } = await connectDrained(alice.phone, alice.token);
		expect(ready.pending).toBe(1);
		expect(aliceBacklog).toEqual([expect.objectContaining({ type: "receipt", to: bob.phone, id })]);
	});

	it("no receipt for a message to oneself stored before such sends were refused", async () => {
		const alice = await register();
		const id = messageId();
		await runInDurableObject(stubOf(alice.phone), (_instance, state) => {
			state.storage.sql.exec(
				"INSERT INTO mailbox (kind, peer, message_id, body, size, at, expires_at) VALUES ('message', ?, ?, 'AAAA', 3, ?, ?)",
				alice.phone,
				id,
				Date.now(),
				Date.now() + 86_400_000,
			);
		});
		const { socket: a, backlog } = await connectDrained(alice.phone, alice.token);
		const message = backlog[0];
		expect(message).toMatchObject({ type: "message", from: alice.phone, id });
		if (message?.type !== "message") throw new Error("expected the message");
		a.send({ type: "ack", seqs: [message.seq] });
		expect(await a.untilPong()).toEqual([]);
		await expectStoredRows(alice.phone, "mailbox", 0);
		await expectStoredRows(alice.phone, "outbox", 0);
	});
});
