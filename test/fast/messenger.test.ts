// The Messenger (protocol/messenger) on memory stores, two or more of them talking through the
// in-process FakeRelay (support/fake-relay.ts): send / receive / receipt, key changes held then
// accepted or rejected, delivery notices and the one automatic re-send. The same scenarios run end to
// end against the real Worker in test/integration/messenger.test.ts and trust-lifecycle.test.ts
// (docs/TESTING.md lists the pairs); these are the seconds-long versions for the edit-test loop.
// A first send pins the contact's key from the bundle (trust on first use) like startChat does;
// startChat and safety numbers are used only where they are the point (5,200 hash rounds each).
import { afterEach, describe, expect, it } from "vitest";
import type { HistoryEntry, MessengerEvent } from "../../protocol/messenger/index.ts";
import { FakeRelay } from "./support/fake-relay.ts";
import { type FastUser, lastStatus, online, received, registerUser, statuses } from "./support/fake-users.ts";

const running: FastUser[] = [];
const relays: FakeRelay[] = [];

afterEach(() => {
	for (const user of running.splice(0)) user.messenger.stop();
	for (const relay of relays.splice(0))
		expect(relay.invalid, "frames that are not a ClientFrame").toEqual([]);
});

function relay(): FakeRelay {
	const created = new FakeRelay();
	relays.push(created);
	return created;
}

async function user(on: FakeRelay, phone: string): Promise<FastUser> {
	const registered = await registerUser(on, phone);
	running.push(registered);
	await online(registered);
	return registered;
}

async function entry(of: FastUser, peer: string, id: string): Promise<HistoryEntry | undefined> {
	return (await of.messenger.history(peer)).find((candidate) => candidate.id === id);
}

/** Ids of the messages (not receipts) waiting in `phone`'s mailbox. */
function messagesIn(fake: FakeRelay, phone: string): string[] {
	return fake.mailbox(phone).flatMap((entry) => (entry.type === "message" ? [entry.id] : []));
}

function keyChanges(events: readonly MessengerEvent[]): number {
	return events.filter((event) => event.type === "identity_changed").length;
}

describe("messaging", () => {
	it("sends, receives and gets receipts, live and offline, with matching safety numbers", async () => {
		const fake = relay();
		const alice = await user(fake, "+1 555 555 0101");
		const bob = await user(fake, "+1 555 555 0102");

		await alice.messenger.startChat(bob.phone);
		const hi = await alice.messenger.send(bob.phone, "hi bob");
		expect(hi.status).toBe("sent");
		await bob.until((events) => received(events).includes("hi bob"), "the message at bob");
		await alice.until((events) => lastStatus(events, hi.id) === "delivered", "the receipt at alice");
		expect(statuses(alice.events, hi.id)).toEqual(["sent", "delivered"]);
		expect(await bob.messenger.history(alice.phone)).toMatchObject([
			{ id: hi.id, direction: "in", text: "hi bob", status: "received", at: hi.at },
		]);
		expect((await bob.messenger.safetyNumber(alice.phone)).safetyNumber).toEqual(
			(await alice.messenger.safetyNumber(bob.phone)).safetyNumber,
		);

		const reply = await bob.messenger.send(alice.phone, "hi alice");
		await alice.until((events) => received(events).includes("hi alice"), "the reply at alice");
		await bob.until((events) => lastStatus(events, reply.id) === "delivered", "the reply's receipt");

		// Bob offline: queued in his mailbox, delivered in order when he is back.
		bob.messenger.stop();
		const first = await alice.messenger.send(bob.phone, "while you were out 1");
		const second = await alice.messenger.send(bob.phone, "while you were out 2");
		expect([first.status, second.status]).toEqual(["queued", "queued"]);
		expect(messagesIn(fake, bob.phone)).toEqual([first.id, second.id]);
		await bob.restart();
		expect(received(bob.events).slice(-2)).toEqual(["while you were out 1", "while you were out 2"]);
		await alice.until(
			(events) =>
				lastStatus(events, first.id) === "delivered" && lastStatus(events, second.id) === "delivered",
			"both delivered",
		);
		expect(messagesIn(fake, bob.phone)).toEqual([]);
		const contact = (await bob.messenger.contacts()).find((c) => c.phone === alice.phone);
		expect(contact).toMatchObject({ unread: 3, lastText: "while you were out 2" });

		// Receipts are acknowledged lazily, riding on a send frame when there is one.
		const carried = fake.framesFrom(alice.phone, "send").flatMap((frame) => frame.acks ?? []);
		const alone = fake.framesFrom(alice.phone, "ack").flatMap((frame) => frame.seqs);
		expect(carried.length + alone.length).toBeGreaterThan(0);
	});

	it("a resend of the same id after delivery is shown once (the client drops the repeat)", async () => {
		const fake = relay();
		const alice = await user(fake, "+1 555 555 0111");
		const bob = await user(fake, "+1 555 555 0112");
		const sent = await alice.messenger.send(bob.phone, "once");
		await alice.until((events) => lastStatus(events, sent.id) === "delivered", "delivered");
		// As after a lost answer: the same id again. The relay keeps no ids once acknowledged, so it is
		// delivered again and the recipient's client drops the repeat (docs/PROTOCOL.md §Mailbox rules).
		bob.messenger.stop();
		await alice.state.history.storeEntry({ ...sent, status: "failed" });
		const again = await alice.messenger.resend(bob.phone, sent.id);
		expect(again.status).toBe("queued");
		expect(fake.mailbox(bob.phone).map((frame) => frame.type)).toEqual(["message"]);
		await bob.restart();
		await bob.until(() => fake.mailbox(bob.phone).length === 0, "the repeat acknowledged");
		expect(received(bob.events)).toEqual(["once"]);
	});

	it("rejects invalid numbers, its own number, and unknown recipients with their codes", async () => {
		const fake = relay();
		const alice = await user(fake, "+1 555 555 0121");
		await expect(alice.messenger.startChat("not a phone")).rejects.toMatchObject({ code: "invalid_phone" });
		await expect(alice.messenger.startChat(alice.phone)).rejects.toMatchObject({ code: "invalid_argument" });
		await expect(alice.messenger.startChat("+1 555 555 0129")).rejects.toMatchObject({
			code: "not_registered",
		});
		const lost = await alice.messenger.send("+1 555 555 0129", "anyone?");
		expect(lost).toMatchObject({ status: "failed", error: { code: "unknown_recipient" } });
	});
});

describe("key changes", () => {
	it("a message signed by a new key is held, sending is blocked, and accepting shows it and delivers", async () => {
		const fake = relay();
		const alice1 = await user(fake, "+1 555 555 0131");
		const bob = await user(fake, "+1 555 555 0132");
		await alice1.messenger.send(bob.phone, "from install 1");
		await bob.until((events) => received(events).includes("from install 1"), "first message");
		alice1.messenger.stop();

		// Alice reinstalls: a new identity under the same number.
		const alice2 = await user(fake, alice1.phone);
		const held = await alice2.messenger.send(bob.phone, "from install 2");
		await bob.until((events) => keyChanges(events) === 1, "the key change at bob");
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(received(bob.events)).not.toContain("from install 2");
		expect(lastStatus(alice2.events, held.id)).toBe("sent");
		// Held: still in Bob's mailbox, unacknowledged.
		expect(messagesIn(fake, bob.phone)).toEqual([held.id]);
		await expect(bob.messenger.send(alice1.phone, "blocked")).rejects.toMatchObject({
			code: "untrusted_identity",
		});
		const pending = await bob.messenger.pendingSafetyNumber(alice1.phone);
		expect(pending).toEqual((await alice2.messenger.safetyNumber(bob.phone)).safetyNumber);
		expect((await bob.messenger.contacts())[0]?.pendingIdentityChange).toBeDefined();

		await bob.messenger.acceptIdentityChange(alice1.phone);
		await bob.until((events) => received(events).includes("from install 2"), "the held message, shown");
		await alice2.until((events) => lastStatus(events, held.id) === "delivered", "delivered");
		expect(messagesIn(fake, bob.phone)).toEqual([]);
		expect((await bob.messenger.contacts())[0]?.pendingIdentityChange).toBeUndefined();
		expect(await bob.messenger.pendingSafetyNumber(alice1.phone)).toBeNull();
		const reply = await bob.messenger.send(alice1.phone, "welcome back");
		await alice2.until((events) => received(events).includes("welcome back"), "the reply at install 2");
		await bob.until((events) => lastStatus(events, reply.id) === "delivered", "reply delivered");
		expect(keyChanges(bob.events)).toBe(1);
	});

	it("rejecting drops the new key's messages with a discard, tells the sender 'not delivered', and unblocks sending", async () => {
		const fake = relay();
		const erin = await user(fake, "+1 555 555 0141");
		const finn1 = await user(fake, "+1 555 555 0142");
		await finn1.messenger.send(erin.phone, "from the real finn");
		await erin.until((events) => received(events).includes("from the real finn"), "first message");
		finn1.messenger.stop();

		const finn2 = await user(fake, finn1.phone);
		const unwanted = await finn2.messenger.send(erin.phone, "trust my new key");
		await erin.until((events) => events.some((e) => e.type === "identity_changed"), "the key change");
		const [heldEntry] = fake.mailbox(erin.phone);
		if (heldEntry?.type !== "message") throw new Error("the held message is not in Erin's mailbox");

		await erin.messenger.rejectIdentityChange(finn1.phone);
		await finn2.until(
			(events) => lastStatus(events, unwanted.id) === "failed:not_delivered",
			"not delivered at the sender",
		);
		expect(await entry(finn2, erin.phone, unwanted.id)).toMatchObject({
			status: "failed",
			error: { code: "not_delivered", reason: "identity_rejected" },
		});
		expect(statuses(finn2.events, unwanted.id)).not.toContain("delivered");
		expect(received(erin.events)).not.toContain("trust my new key");
		expect(fake.framesFrom(erin.phone, "discard")).toEqual([{ type: "discard", seqs: [heldEntry.seq] }]);
		expect(messagesIn(fake, erin.phone)).toEqual([]);
		const contact = (await erin.messenger.contacts()).find((c) => c.phone === finn1.phone);
		expect(contact?.pendingIdentityChange).toBeUndefined();
		expect(contact?.rejectedIdentityChange?.current.signingKey).toBeDefined();
		// Sending is unblocked (to the kept key).
		await expect(erin.messenger.send(finn1.phone, "is that really you?")).resolves.toMatchObject({
			status: "sent",
		});
		// A later message signed by the rejected key is dropped without asking again.
		const second = await finn2.messenger.send(erin.phone, "still me");
		await finn2.until((events) => lastStatus(events, second.id) === "failed:not_delivered", "dropped again");
		expect(keyChanges(erin.events)).toBe(1);
		// Accepting after all: the next message gets through.
		await erin.messenger.acceptIdentityChange(finn1.phone);
		await finn2.messenger.send(erin.phone, "ok now?");
		await erin.until((events) => received(events).includes("ok now?"), "after accepting the rejected key");
	});
});

describe("delivery notices", () => {
	it("a message the recipient cannot decrypt is marked not delivered, re-sent once over a new session, and delivered", async () => {
		const fake = relay();
		const carol = await user(fake, "+1 555 555 0151");
		const dan = await user(fake, "+1 555 555 0152");
		await carol.messenger.send(dan.phone, "hello dan");
		await dan.until((events) => received(events).includes("hello dan"), "first message");
		const answer = await dan.messenger.send(carol.phone, "hello carol");
		await dan.until((events) => lastStatus(events, answer.id) === "delivered", "answer delivered");

		// Carol loses her session with Dan (same install, same keys: no key change).
		carol.messenger.stop();
		await carol.state.sessions.deleteSessionRecord(dan.phone);
		await carol.restart();

		const lost = await dan.messenger.send(carol.phone, "are you there?");
		await dan.until((events) => lastStatus(events, lost.id) === "delivered", "delivered after the re-send");
		expect(statuses(dan.events, lost.id)).toEqual([
			"sent",
			"failed:not_delivered",
			"sending",
			"sent",
			"delivered",
		]);
		const failed = dan.events.find(
			(event) => event.type === "status" && event.id === lost.id && event.status === "failed",
		);
		expect(failed).toMatchObject({ error: { code: "not_delivered" } });
		const stored = await entry(dan, carol.phone, lost.id);
		expect(stored).toMatchObject({ status: "delivered", redelivery: "sent" });
		expect(stored?.error).toBeUndefined();
		expect(received(carol.events).filter((text) => text === "are you there?")).toHaveLength(1);
		// On the wire: Carol discarded the first copy and sent a notice (its id starts with "n").
		expect(fake.framesFrom(carol.phone, "discard")).toHaveLength(1);
		expect(fake.framesFrom(carol.phone, "send").some((frame) => frame.id.startsWith("n"))).toBe(true);
		expect(keyChanges(dan.events)).toBe(0);
	});

	it("a reinstall that receives a message for its old install: the notice is held as a key change; accepting re-sends it", async () => {
		const fake = relay();
		const carol1 = await user(fake, "+1 555 555 0161");
		const dan = await user(fake, "+1 555 555 0162");
		await carol1.messenger.send(dan.phone, "hello dan");
		await dan.until((events) => received(events).includes("hello dan"), "first message");
		carol1.messenger.stop();
		const carol2 = await user(fake, carol1.phone);

		const lost = await dan.messenger.send(carol1.phone, "are you there?");
		await dan.until((events) => keyChanges(events) === 1, "key change at dan (the signed notice)");
		expect(lastStatus(dan.events, lost.id)).not.toBe("delivered");
		await dan.messenger.acceptIdentityChange(carol1.phone);
		await carol2.until((events) => received(events).includes("are you there?"), "the re-sent message");
		await dan.until((events) => lastStatus(events, lost.id) === "delivered", "delivered after the re-send");
		expect(statuses(dan.events, lost.id)).toContain("failed:not_delivered");
		expect((await entry(dan, carol1.phone, lost.id))?.redelivery).toBe("sent");
	});
});
