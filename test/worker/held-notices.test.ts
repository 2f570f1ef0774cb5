// Receipts to a connected sender are pushed without a row and written only if the sender's client does
// not acknowledge them in time (worker/durable-objects/phone-object.ts holdNotices): each path end to
// end in workerd, with the guarantee that a receipt is never lost to a dropped connection.
import { describe, expect, it } from "vitest";
import { connectedPair } from "./helpers/register.ts";
import { connectDrained, messageId, randomBody, type TestSocket } from "./helpers/socket.ts";
import { expectStoredRows, storedRows } from "./helpers/storage.ts";

async function deliverAndAck(a: TestSocket, b: TestSocket, to: string): Promise<string> {
	const id = messageId();
	a.send({ type: "send", id, to, body: randomBody() });
	await a.next("sent");
	const message = await b.next("message");
	b.send({ type: "ack", seqs: [message.seq] });
	return id;
}

describe("held receipts", () => {
	it("a receipt the connected sender acknowledges at once is never written; the message leaves", async () => {
		const { alice, bob, a, b } = await connectedPair();
		const id = await deliverAndAck(a, b, bob.phone);
		const receipt = await a.next("receipt");
		expect(receipt).toMatchObject({ to: bob.phone, id });
		// Held, not stored (the relay wrote a row here before 2026-12-01).
		expect(await storedRows(alice.phone, "mailbox")).toBe(0);
		a.send({ type: "ack", seqs: [receipt.seq] });
		expect(await a.untilPong()).toEqual([]);
		await expectStoredRows(bob.phone, "mailbox", 0);
		// Well past the hold: nothing was written for it.
		await new Promise((resolve) => setTimeout(resolve, 2_000));
		expect(await storedRows(alice.phone, "mailbox")).toBe(0);
		expect(await storedRows(bob.phone, "outbox")).toBe(0);
	});

	it("a receipt not acknowledged in time is written and is in the backlog of the next connection", async () => {
		const { alice, bob, a, b } = await connectedPair();
		const id = await deliverAndAck(a, b, bob.phone);
		expect(await a.next("receipt")).toMatchObject({ id });
		a.close();
		await expectStoredRows(alice.phone, "mailbox", 1);
		const { backlog } = await connectDrained(alice.phone, alice.token);
		expect(backlog).toEqual([expect.objectContaining({ type: "receipt", to: bob.phone, id })]);
	});

	it("a sender reconnecting while its receipt is held finds it in the backlog, once", async () => {
		const { alice, bob, a, b } = await connectedPair();
		const id = await deliverAndAck(a, b, bob.phone);
		const first = await a.next("receipt");
		a.close();
		const again = await connectDrained(alice.phone, alice.token);
		expect(again.backlog).toEqual([expect.objectContaining({ type: "receipt", seq: first.seq, id })]);
		// Past the hold: not pushed a second time.
		await new Promise((resolve) => setTimeout(resolve, 2_000));
		expect(await again.socket.untilPong()).toEqual([]);
		again.socket.send({ type: "ack", seqs: [first.seq] });
		expect(await again.socket.untilPong()).toEqual([]);
		await expectStoredRows(alice.phone, "mailbox", 0);
	});
});
