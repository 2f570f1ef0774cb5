// The trust lifecycle end to end (issue 11), with the shared Messenger on the real relay: a contact
// who moves between installs, messages that cannot be decrypted, key changes that are accepted or
// rejected. Every message ends shown to its recipient or marked "not delivered" with the reason —
// never "delivered" while missing — and the pair can talk again afterwards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HistoryEntry, Messenger, type MessengerEvent } from "../../protocol/messenger/index.ts";
import { received, registerUser, type TestUser } from "../support/messenger-user.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";

let relay: RunningRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay.close());

function statusOf(events: MessengerEvent[], id: string): string | undefined {
	let status: string | undefined;
	for (const event of events) if (event.type === "status" && event.id === id) status = event.status;
	return status;
}

async function entry(user: TestUser, peer: string, id: string): Promise<HistoryEntry | undefined> {
	return (await user.messenger.history(peer)).find((candidate) => candidate.id === id);
}

/** No outgoing message says "delivered" unless the peer's history has it as received. */
async function assertTruthful(sender: TestUser, recipient: TestUser): Promise<void> {
	const shown = new Set(
		(await recipient.messenger.history(sender.phone)).filter((e) => e.direction === "in").map((e) => e.id),
	);
	for (const sent of await sender.messenger.history(recipient.phone)) {
		if (sent.direction !== "out") continue;
		if (sent.status === "delivered")
			expect(shown.has(sent.id), `${sent.text} delivered but missing`).toBe(true);
		if (!shown.has(sent.id)) expect(sent.status, `${sent.text} missing`).not.toBe("delivered");
	}
}

describe("trust lifecycle", () => {
	it("an install that registers again after another one: both sides recover with one key acceptance each at most", async () => {
		const alice1 = await registerUser(relay.url, "+1 555 555 0301");
		const bob = await registerUser(relay.url, "+1 555 555 0302");
		alice1.messenger.start();
		bob.messenger.start();
		await alice1.messenger.startChat(bob.phone);
		await alice1.messenger.send(bob.phone, "hi from install 1");
		await bob.until((events) => received(events).includes("hi from install 1"), "first message");
		await bob.messenger.send(alice1.phone, "hi back");
		await alice1.until((events) => received(events).includes("hi back"), "reply");
		alice1.messenger.stop();

		// Install 2 takes the number; Bob accepts its key.
		const alice2 = await registerUser(relay.url, alice1.phone);
		alice2.messenger.start();
		await alice2.messenger.startChat(bob.phone);
		await alice2.messenger.send(bob.phone, "hi from install 2");
		await bob.until((events) => events.some((e) => e.type === "identity_changed"), "key change on bob");
		await bob.messenger.acceptIdentityChange(alice1.phone);
		await bob.until((events) => received(events).includes("hi from install 2"), "install 2's message");
		alice2.messenger.stop();

		// Install 1 registers again (same keys as before) and writes on its old session.
		const again = await registerUser(relay.url, alice1.phone, alice1.stores);
		again.messenger.start();
		const stale = await again.messenger.send(bob.phone, "install 1 is back");
		// Bob: signed by an earlier key of Alice's, so a key change (not "forged"), held.
		await bob.until(
			(events) => events.filter((e) => e.type === "identity_changed").length >= 2,
			"second key change on bob",
		);
		expect(bob.events.some((e) => e.type === "problem" && e.code === "bad_signature")).toBe(false);
		expect(statusOf(again.events, stale.id)).not.toBe("delivered");
		await bob.messenger.acceptIdentityChange(alice1.phone);
		await bob.until(
			(events) => received(events).includes("install 1 is back"),
			"install 1's message, re-sent",
		);
		await again.until((events) => statusOf(events, stale.id) === "delivered", "delivered after the re-send");
		expect((await entry(again, bob.phone, stale.id))?.redelivery).toBe("sent");

		// And the other way: Bob's next message reaches install 1.
		const reply = await bob.messenger.send(alice1.phone, "welcome back, install 1");
		await again.until((events) => received(events).includes("welcome back, install 1"), "bob's reply");
		await bob.until((events) => statusOf(events, reply.id) === "delivered", "reply delivered");
		await assertTruthful(again, bob);
		await assertTruthful(bob, again);
		again.messenger.stop();
		bob.messenger.stop();
	});

	it("a reply that reaches an install without its session is marked not delivered, then re-sent and shown", async () => {
		const carol1 = await registerUser(relay.url, "+1 555 555 0311");
		const dan = await registerUser(relay.url, "+1 555 555 0312");
		carol1.messenger.start();
		dan.messenger.start();
		await carol1.messenger.startChat(dan.phone);
		await carol1.messenger.send(dan.phone, "hello dan");
		await dan.until((events) => received(events).includes("hello dan"), "first message");
		carol1.messenger.stop();
		// Carol reinstalls (new keys) but has not written yet: Dan still writes on the old session.
		const carol2 = await registerUser(relay.url, carol1.phone);
		carol2.messenger.start();
		await carol2.messenger.waitForDrain();
		const lost = await dan.messenger.send(carol1.phone, "are you there?");
		// Carol's new install has no session: it tells Dan, signed by its new key; Dan sees a key change.
		await dan.until((events) => events.some((e) => e.type === "identity_changed"), "key change on dan");
		expect(statusOf(dan.events, lost.id)).not.toBe("delivered");
		await dan.messenger.acceptIdentityChange(carol1.phone);
		await carol2.until((events) => received(events).includes("are you there?"), "the re-sent message");
		await dan.until((events) => statusOf(events, lost.id) === "delivered", "delivered after re-send");
		await assertTruthful(dan, carol2);
		carol2.messenger.stop();
		dan.messenger.stop();
	});

	it("the time shown for a received message is the sender's signed time, not the relay's", async () => {
		const gus = await registerUser(relay.url, "+1 555 555 0331");
		const hana = await registerUser(relay.url, "+1 555 555 0332");
		hana.messenger.start();
		// Gus's clock runs an hour behind; the relay's is right. Hana must show Gus's.
		const skew = 60 * 60 * 1000;
		const events: MessengerEvent[] = [];
		const slow = await Messenger.open({
			stores: gus.stores,
			clock: { now: () => Date.now() - skew },
			onEvent: (event) => events.push(event),
		});
		slow.start();
		await slow.startChat(hana.phone);
		const sent = await slow.send(hana.phone, "what time is it?");
		await hana.until((e) => received(e).includes("what time is it?"), "the message");
		const shown = await entry(hana, gus.phone, sent.id);
		expect(shown?.at).toBe(sent.at);
		expect(Date.now() - (shown?.at ?? 0)).toBeGreaterThan(skew - 60_000);
		slow.stop();
		hana.messenger.stop();
	});

	it("rejecting a new key drops its messages, tells the sender 'not delivered', and unblocks sending", async () => {
		const erin = await registerUser(relay.url, "+1 555 555 0321");
		const finn1 = await registerUser(relay.url, "+1 555 555 0322");
		erin.messenger.start();
		finn1.messenger.start();
		await finn1.messenger.startChat(erin.phone);
		await finn1.messenger.send(erin.phone, "from the real finn");
		await erin.until((events) => received(events).includes("from the real finn"), "first message");
		finn1.messenger.stop();
		const finn2 = await registerUser(relay.url, finn1.phone);
		finn2.messenger.start();
		await finn2.messenger.startChat(erin.phone);
		const unwanted = await finn2.messenger.send(erin.phone, "trust my new key");
		await erin.until((events) => events.some((e) => e.type === "identity_changed"), "key change");
		await expect(erin.messenger.send(finn1.phone, "blocked")).rejects.toMatchObject({
			code: "untrusted_identity",
		});
		await erin.messenger.rejectIdentityChange(finn1.phone);
		await finn2.until(
			(events) =>
				events.some(
					(e) =>
						e.type === "status" &&
						e.id === unwanted.id &&
						e.status === "failed" &&
						e.error?.code === "not_delivered",
				),
			"not delivered on the sender",
		);
		const rejected = await entry(finn2, erin.phone, unwanted.id);
		expect(rejected).toMatchObject({ status: "failed", error: { reason: "identity_rejected" } });
		expect(received(erin.events)).not.toContain("trust my new key");
		// Sending is unblocked (to the pinned key, which the relay no longer serves: that is the user's call).
		const contact = (await erin.messenger.contacts()).find((c) => c.phone === finn1.phone);
		expect(contact?.pendingIdentityChange).toBeUndefined();
		expect(contact?.rejectedIdentityChange?.current.signingKey).toBeDefined();
		// What Erin sends now goes on the session with the key she kept; the phone now answering for Finn
		// cannot read it and says so, signed by the rejected key: not delivered, finally, never "sent" for ever.
		const toOld = await erin.messenger.send(finn1.phone, "is that really you?");
		await erin.until(
			(events) =>
				events.some(
					(e) =>
						e.type === "status" &&
						e.id === toOld.id &&
						e.status === "failed" &&
						e.error?.code === "not_delivered",
				),
			"not delivered for a message the rejected key's phone could not read",
		);
		expect((await entry(erin, finn1.phone, toOld.id))?.redelivery).toBeUndefined();
		// A later message signed by the rejected key is dropped without asking again.
		const second = await finn2.messenger.send(erin.phone, "still me");
		await finn2.until((events) => statusOf(events, second.id) === "failed", "second one not delivered");
		expect(erin.events.filter((e) => e.type === "identity_changed")).toHaveLength(1);
		// Accepting after all: the next message gets through.
		await erin.messenger.acceptIdentityChange(finn1.phone);
		const third = await finn2.messenger.send(erin.phone, "ok now?");
		await erin.until((events) => received(events).includes("ok now?"), "after accepting the rejected key");
		expect(statusOf(finn2.events, third.id)).toBeDefined();
		finn2.messenger.stop();
		erin.messenger.stop();
	});
});
