// A message to a connected recipient is pushed without a row and held until its client acks it
// (worker/durable-objects/phone-object.ts deliver, worker/phone/mailbox.ts holdMessage): acknowledged
// in time it is never written, and its receipt rides in the deliver call's answer to the sender's
// object, which pushes `sent` and then the receipt, held for the sender's client. Each path end to end in workerd,
// with the crash and timeout cases that must end with the message stored and delivered once.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ServerFrame } from "../../protocol/wire/index.ts";
import { connectedPair, type Registered, stubOf } from "./helpers/register.ts";
import { connectDrained, messageId, randomBody } from "./helpers/socket.ts";
import { expectStoredRows, storedRows } from "./helpers/storage.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rows of every table a relayed message could write, at both ends. */
async function messageRows(sender: Registered, recipient: Registered): Promise<number[]> {
	return Promise.all([
		storedRows(recipient.phone, "mailbox"),
		storedRows(recipient.phone, "delivered"),
		storedRows(recipient.phone, "outbox"),
		storedRows(sender.phone, "mailbox"),
		storedRows(sender.phone, "outbox"),
	]);
}

describe("live delivery", () => {
	it("a message acknowledged at once writes no row at either end: `sent` after the recipient's ack, then the receipt", async () => {
		const { alice, bob, a, b } = await connectedPair();
		const id = messageId();
		const body = randomBody();
		a.send({ type: "send", id, to: bob.phone, body });
		const message = await b.next("message");
		expect(message).toMatchObject({ id, body, from: alice.phone });
		b.send({ type: "ack", seqs: [message.seq] });
		// `sent` follows bob's ack, and the receipt rode in bob's answer: pushed next, held for alice's ack.
		expect(await a.next("sent")).toMatchObject({ id, to: bob.phone, delivery: "live" });
		const receipt = await a.next("receipt");
		expect(receipt).toMatchObject({ to: bob.phone, id });
		a.send({ type: "ack", seqs: [receipt.seq] });
		expect(await a.untilPong()).toEqual([]);
		expect(await messageRows(alice, bob)).toEqual([0, 0, 0, 0, 0]);
		// Well past both holds: still nothing written, nothing pushed again.
		await sleep(1_500);
		expect(await messageRows(alice, bob)).toEqual([0, 0, 0, 0, 0]);
		expect(await b.untilPong()).toEqual([]);
		expect(await a.untilPong()).toEqual([]);
	});

	it("not acknowledged in time: stored under the seq it was pushed with, `sent`, and delivered once on the next connection", async () => {
		const { bob, a, b } = await connectedPair();
		const id = messageId();
		a.send({ type: "send", id, to: bob.phone, body: randomBody() });
		const pushed = await b.next("message");
		// Bob's client stalls (or crashed) before acking: past the hold the message is written.
		expect(await a.next("sent")).toMatchObject({ id, delivery: "live" });
		expect(await storedRows(bob.phone, "mailbox")).toBe(1);
		b.close();
		const again = await connectDrained(bob.phone, bob.token);
		expect(again.backlog).toEqual([expect.objectContaining({ type: "message", seq: pushed.seq, id })]);
		// A late ack of the live push is the same seq: the stored copy leaves and the receipt goes.
		again.socket.send({ type: "ack", seqs: [pushed.seq] });
		const receipt = await a.next("receipt");
		expect(receipt).toMatchObject({ to: bob.phone, id });
		a.send({ type: "ack", seqs: [receipt.seq] });
		await expectStoredRows(bob.phone, "mailbox", 0);
		expect(await again.socket.untilPong()).toEqual([]);
	});

	it("the recipient's object lost while the message is held: the sender is not told `sent`, and its resend is delivered and stored once", async () => {
		const { bob, a, b } = await connectedPair();
		const id = messageId();
		const body = randomBody();
		a.send({ type: "send", id, to: bob.phone, body });
		await b.next("message");
		// The crash: bob's object is reset before his ack (its in-flight call fails, its sockets close);
		// nothing of the message was written.
		await runInDurableObject(stubOf(bob.phone), (_instance, state) => state.abort("crash")).catch(
			() => undefined,
		);
		const answer: ServerFrame = await a.nextAny();
		expect(answer).toMatchObject({ type: "error", code: "internal", id, to: bob.phone });
		expect(await storedRows(bob.phone, "mailbox")).toBe(0);
		// The client resends the same id (protocol/client does so for every unanswered or `internal` send).
		a.send({ type: "send", id, to: bob.phone, body });
		expect(await a.next("sent")).toMatchObject({ id, delivery: "queued" });
		a.send({ type: "send", id, to: bob.phone, body });
		expect(await a.next("sent")).toMatchObject({ id, delivery: "queued" });
		const { backlog, socket } = await connectDrained(bob.phone, bob.token);
		expect(backlog).toEqual([expect.objectContaining({ type: "message", id, body })]);
		const [first] = backlog;
		if (first?.type !== "message") throw new Error("expected the message");
		socket.send({ type: "ack", seqs: [first.seq] });
		expect(await a.next("receipt")).toMatchObject({ to: bob.phone, id });
	});

	it("a resend after the live message was acknowledged is pushed again (no id remembered) and answered with the receipt again", async () => {
		const { alice, bob, a, b } = await connectedPair();
		const id = messageId();
		const body = randomBody();
		for (let round = 0; round < 2; round++) {
			// The second round is the resend of a client that never saw the first `sent`.
			a.send({ type: "send", id, to: bob.phone, body });
			const message = await b.next("message");
			expect(message).toMatchObject({ id, body });
			b.send({ type: "ack", seqs: [message.seq] });
			expect(await a.next("sent")).toMatchObject({ id, delivery: "live" });
			const receipt = await a.next("receipt");
			expect(receipt).toMatchObject({ to: bob.phone, id });
			a.send({ type: "ack", seqs: [receipt.seq] });
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
		// Bob's client drops the repeat by its id (protocol/session: the ids received from each peer).
		expect(await messageRows(alice, bob)).toEqual([0, 0, 0, 0, 0]);
	});
});
