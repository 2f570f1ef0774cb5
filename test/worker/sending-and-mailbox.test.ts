// Sending (`send` → `sent` or `error`) and the capped offline mailbox (test caps: 20 messages,
// 262144 bytes; envelopes up to 65536 bytes).
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { ServerFrame } from "../../protocol/wire/index.ts";
import { newPhone } from "./helpers/phones.ts";
import { connectedPair, register, requestCode, stubOf } from "./helpers/register.ts";
import { connectDrained, messageId, online, randomBody, type TestSocket } from "./helpers/socket.ts";

const MAX_MESSAGES = 20;
const ENVELOPE_MAX = 65536;

/** Sends and returns the relay's answer for that message (sent or error). */
async function send(socket: TestSocket, to: string, body = randomBody(), id = messageId()) {
	socket.send({ type: "send", id, to, body });
	let frame = await socket.nextAny();
	// Receipts for earlier messages may arrive in between.
	while (frame.type === "receipt") frame = await socket.nextAny();
	if ((frame.type !== "sent" && frame.type !== "error") || frame.id !== id)
		throw new Error(`expected the answer to ${id}, got ${JSON.stringify(frame)}`);
	return frame;
}

/**
 * One message to a connected recipient that acknowledges it at once, as real clients do: the relay
 * answers `sent` only after the recipient's client acked the live message (or after a hold of half a
 * second: worker/durable-objects/phone-object.ts deliver). Returns the answer; the receipt that
 * follows is acknowledged.
 */
async function sendLive(a: TestSocket, b: TestSocket, to: string): Promise<ServerFrame> {
	const id = messageId();
	a.send({ type: "send", id, to, body: randomBody() });
	const answered = () =>
		a.pendingFrames().some((frame) => (frame.type === "sent" || frame.type === "error") && frame.id === id);
	while (!answered()) {
		if (b.pendingFrames().some((frame) => frame.type === "message" && frame.id === id)) {
			b.send({ type: "ack", seqs: [(await b.next("message")).seq] });
			break;
		}
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
	for (;;) {
		const frame = await a.nextAny();
		if (frame.type === "receipt") a.send({ type: "ack", seqs: [frame.seq] });
		else if ((frame.type === "sent" || frame.type === "error") && frame.id === id) {
			if (frame.type === "sent") a.send({ type: "ack", seqs: [(await a.next("receipt")).seq] });
			return frame;
		} else throw new Error(`expected the answer to ${id}, got ${JSON.stringify(frame)}`);
	}
}

async function mailboxRows(phone: string) {
	return runInDurableObject(stubOf(phone), (_instance, state) =>
		state.storage.sql
			.exec<{ kind: string; message_id: string }>("SELECT kind, message_id FROM mailbox ORDER BY seq")
			.toArray(),
	);
}

describe("send", () => {
	it("answers sent/queued for an offline recipient and sent/live for a connected one", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		const queued = await send(a, bob.phone);
		expect(queued).toMatchObject({ type: "sent", to: bob.phone, delivery: "queued" });
		const b = await online(bob);
		const live = await send(a, bob.phone);
		expect(live).toMatchObject({ type: "sent", delivery: "live" });
		expect((await b.next("message")).id).toBe(live.id);
	});

	it("accepts any spelling of the recipient", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		const spelled = `+1 (${bob.phone.slice(2, 5)}) ${bob.phone.slice(5, 8)}-${bob.phone.slice(8)}`;
		const answer = await send(a, spelled);
		expect(answer).toMatchObject({ type: "sent", to: bob.phone });
	});

	it("an unregistered recipient is unknown_recipient with id and to", async () => {
		const alice = await register();
		const a = await online(alice);
		const to = newPhone();
		const id = messageId();
		const answer = await send(a, to, randomBody(), id);
		expect(answer).toMatchObject({ type: "error", code: "unknown_recipient", id, to });
	});

	it("a phone that only requested a code (never confirmed) is unknown_recipient", async () => {
		const alice = await register();
		const a = await online(alice);
		const pending = newPhone();
		await requestCode(pending);
		expect(await send(a, pending)).toMatchObject({ type: "error", code: "unknown_recipient", to: pending });
	});

	it("an envelope over ENVELOPE_MAX_BYTES is too_large; exactly the limit is accepted", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		expect(await send(a, bob.phone, randomBody(ENVELOPE_MAX + 1))).toMatchObject({
			type: "error",
			code: "too_large",
			to: bob.phone,
		});
		expect(await send(a, bob.phone, randomBody(ENVELOPE_MAX))).toMatchObject({ type: "sent" });
		expect(await mailboxRows(bob.phone)).toHaveLength(1);
	});

	it("a recipient's object that fails answers the sender `internal` with id and to; later sends get through", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		expect(await send(a, bob.phone)).toMatchObject({ type: "sent" });
		// A real fault in bob's object: its mailbox table is gone, so storing throws.
		await runInDurableObject(stubOf(bob.phone), (_instance, state) => {
			state.storage.sql.exec("DROP TABLE mailbox");
		});
		const id = messageId();
		expect(await send(a, bob.phone, randomBody(), id)).toMatchObject({
			type: "error",
			code: "internal",
			id,
			to: bob.phone,
		});
		// A fresh instance recreates its schema; alice's queue to bob was not left stuck by the failure.
		await evictDurableObject(stubOf(bob.phone));
		expect(await send(a, bob.phone, randomBody(), id)).toMatchObject({ type: "sent", id });
		const { backlog } = await connectDrained(bob.phone, bob.token);
		expect(backlog.map((frame) => frame.type === "message" && frame.id)).toEqual([id]);
	});

	it("limits sends per sender and recipient: burst of 60, then 1 per second", async () => {
		const alice = await register();
		const bob = await register();
		const carol = await register();
		const a = await online(alice);
		const b = await online(bob);
		// The relay's clock is frozen (the Worker shares the test isolate), so refills happen only when the
		// test moves time forward.
		vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
		try {
			const answers: ServerFrame[] = [];
			// Bob keeps his mailbox empty (acking each message as it arrives) so only the rate limit can refuse.
			for (let i = 0; i < 60; i++) answers.push(await sendLive(a, b, bob.phone));
			expect(answers.filter((answer) => answer.type !== "sent")).toEqual([]);
			const limited = await send(a, bob.phone);
			expect(limited).toMatchObject({ type: "error", code: "rate_limited", to: bob.phone, retryAfter: 1 });
			// Another recipient has its own bucket.
			expect(await send(a, carol.phone)).toMatchObject({ type: "sent" });
			// One second later exactly one more send is allowed.
			vi.setSystemTime(Date.now() + 1000);
			expect(await send(a, bob.phone)).toMatchObject({ type: "sent" });
			expect(await send(a, bob.phone)).toMatchObject({ type: "error", code: "rate_limited" });
		} finally {
			vi.useRealTimers();
		}
	});

	it("the send limit survives the sender's object being evicted: no fresh burst after silence", async () => {
		const { alice, bob, a, b } = await connectedPair();
		const sendAndAck = () => sendLive(a, b, bob.phone);
		vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
		try {
			for (let i = 0; i < 60; i++) expect(await sendAndAck()).toMatchObject({ type: "sent" });
			// An idle object is evicted (after some tens of seconds): its memory is gone, the socket hibernates.
			await evictDurableObject(stubOf(alice.phone), { webSockets: "hibernate" });
			expect(await sendAndAck()).toMatchObject({ type: "error", code: "rate_limited", to: bob.phone });
			// 25 s of silence refill 25 sends, not a burst of 60, also across another eviction.
			vi.setSystemTime(Date.now() + 25_000);
			await evictDurableObject(stubOf(alice.phone), { webSockets: "hibernate" });
			for (let i = 0; i < 25; i++) expect(await sendAndAck()).toMatchObject({ type: "sent" });
			expect(await sendAndAck()).toMatchObject({ type: "error", code: "rate_limited" });
		} finally {
			vi.useRealTimers();
		}
	});

	it("a send to one's own number is bad_frame with its id and to, and is not stored", async () => {
		const alice = await register();
		const a = await online(alice);
		const id = messageId();
		expect(await send(a, alice.phone, randomBody(), id)).toMatchObject({
			type: "error",
			code: "bad_frame",
			id,
			to: alice.phone,
		});
		const spelled = `+1 (${alice.phone.slice(2, 5)}) ${alice.phone.slice(5, 8)}-${alice.phone.slice(8)}`;
		expect(await send(a, spelled)).toMatchObject({ type: "error", code: "bad_frame", to: alice.phone });
		expect(await a.untilPong()).toEqual([]);
		expect(await mailboxRows(alice.phone)).toEqual([]);
	});
});

describe("mailbox caps", () => {
	it("at the message cap the sender gets mailbox_full and nothing stored is dropped", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		const ids: string[] = [];
		for (let i = 0; i < MAX_MESSAGES; i++) {
			const answer = await send(a, bob.phone);
			expect(answer).toMatchObject({ type: "sent", delivery: "queued" });
			if (answer.type === "sent") ids.push(answer.id);
		}
		const refused = await send(a, bob.phone);
		expect(refused).toMatchObject({ type: "error", code: "mailbox_full", to: bob.phone });
		const { backlog } = await connectDrained(bob.phone, bob.token);
		expect(backlog.map((frame) => (frame.type === "message" ? frame.id : frame.type))).toEqual(ids);
	});

	it("at the byte cap the sender gets mailbox_full", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		for (let i = 0; i < 4; i++)
			expect(await send(a, bob.phone, randomBody(ENVELOPE_MAX))).toMatchObject({ type: "sent" });
		expect(await send(a, bob.phone, randomBody(1))).toMatchObject({ type: "error", code: "mailbox_full" });
		expect(await mailboxRows(bob.phone)).toHaveLength(4);
	});

	it("a resend of a stored message is not refused by the cap and stored once", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		const body = randomBody();
		const id = messageId();
		await send(a, bob.phone, body, id);
		for (let i = 1; i < MAX_MESSAGES; i++) await send(a, bob.phone);
		expect(await send(a, bob.phone, body, id)).toMatchObject({ type: "sent", delivery: "queued" });
		expect(await mailboxRows(bob.phone)).toHaveLength(MAX_MESSAGES);
	});

	it("when the recipient acks and space frees, refused senders get a resume frame", async () => {
		const alice = await register();
		const carol = await register();
		const bob = await register();
		const a = await online(alice);
		const c = await online(carol);
		for (let i = 0; i < MAX_MESSAGES; i++) await send(a, bob.phone);
		expect(await send(a, bob.phone)).toMatchObject({ type: "error", code: "mailbox_full" });
		expect(await send(c, bob.phone)).toMatchObject({ type: "error", code: "mailbox_full" });
		const { socket: b, backlog } = await connectDrained(bob.phone, bob.token);
		const first = backlog[0];
		if (first?.type !== "message") throw new Error("expected a message first");
		b.send({ type: "ack", seqs: [first.seq] });
		const resumeA = await a.next("resume", ["receipt"]);
		expect(resumeA.to).toBe(bob.phone);
		expect((await c.next("resume")).to).toBe(bob.phone);
		a.send({ type: "ack", seqs: [resumeA.seq] });
		expect(await send(a, bob.phone)).toMatchObject({ type: "sent", delivery: "live" });
		// A resume is said once: the next ack sends a receipt, and no second resume in the same batch.
		const second = backlog[1];
		if (second?.type !== "message") throw new Error("expected a message second");
		await b.next("message");
		b.send({ type: "ack", seqs: [second.seq] });
		expect(await b.untilPong()).toEqual([]);
		expect((await a.next("receipt")).id).toBe(second.id);
		expect(await a.untilPong()).toEqual([]);
	});

	it("an offline refused sender finds the resume in its mailbox", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		for (let i = 0; i < MAX_MESSAGES; i++) await send(a, bob.phone);
		expect(await send(a, bob.phone)).toMatchObject({ type: "error", code: "mailbox_full" });
		a.close();
		const { socket: b, backlog } = await connectDrained(bob.phone, bob.token);
		b.send({ type: "ack", seqs: backlog.flatMap((frame) => (frame.type === "message" ? [frame.seq] : [])) });
		expect(await b.untilPong()).toEqual([]);
		await expect
			.poll(async () => (await mailboxRows(alice.phone)).map((row) => row.kind))
			.toEqual(expect.arrayContaining(["resume"]));
		const { backlog: aliceBacklog } = await connectDrained(alice.phone, alice.token);
		expect(aliceBacklog.filter((frame) => frame.type === "resume")).toEqual([
			expect.objectContaining({ type: "resume", to: bob.phone }),
		]);
	});
});

describe("expiry", () => {
	it("messages expire after 30 days (alarm-driven) and free their space", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		const old: string[] = [];
		for (let i = 0; i < MAX_MESSAGES; i++) {
			const answer = await send(a, bob.phone);
			if (answer.type === "sent") old.push(answer.id);
		}
		expect(await send(a, bob.phone)).toMatchObject({ type: "error", code: "mailbox_full" });
		// 30 days pass for everything stored so far.
		await runInDurableObject(stubOf(bob.phone), (_instance, state) => {
			state.storage.sql.exec(
				"UPDATE mailbox SET at = at - ?, expires_at = expires_at - ?",
				30 * 86_400_000,
				30 * 86_400_000,
			);
		});
		expect(await runDurableObjectAlarm(stubOf(bob.phone))).toBe(true);
		expect(await mailboxRows(bob.phone)).toEqual([]);
		expect((await a.next("resume")).to).toBe(bob.phone);
		const fresh = await send(a, bob.phone);
		expect(fresh).toMatchObject({ type: "sent" });
		const { backlog } = await connectDrained(bob.phone, bob.token);
		expect(backlog.map((frame) => (frame.type === "message" ? frame.id : frame.type))).toEqual([fresh.id]);
	});

	it("when expiry frees space, refused senders get a resume frame", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		for (let i = 0; i < MAX_MESSAGES; i++) await send(a, bob.phone);
		expect(await send(a, bob.phone)).toMatchObject({ type: "error", code: "mailbox_full" });
		await runInDurableObject(stubOf(bob.phone), (_instance, state) => {
			state.storage.sql.exec("UPDATE mailbox SET expires_at = expires_at - ?", 30 * 86_400_000);
		});
		expect(await runDurableObjectAlarm(stubOf(bob.phone))).toBe(true);
		expect((await a.next("resume")).to).toBe(bob.phone);
	});

	it("messages younger than 30 days survive the alarm", async () => {
		const alice = await register();
		const bob = await register();
		const a = await online(alice);
		const kept = await send(a, bob.phone);
		await runInDurableObject(stubOf(bob.phone), (_instance, state) => {
			state.storage.sql.exec(
				"UPDATE mailbox SET at = at - ?, expires_at = expires_at - ?",
				29 * 86_400_000,
				29 * 86_400_000,
			);
		});
		await runDurableObjectAlarm(stubOf(bob.phone));
		const { backlog } = await connectDrained(bob.phone, bob.token);
		expect(backlog).toEqual([expect.objectContaining({ type: "message", id: kept.id })]);
	});
});
