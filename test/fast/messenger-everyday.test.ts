// The Messenger's everyday API (issue 16) on memory stores and the in-process FakeRelay: local contact
// names, system entries in the conversation, the pending verification kept across restarts, and
// sends the relay did not confirm kept "sending" and tried again under the same id until 24 hours
// old. End-to-end twins: test/cli/everyday.test.ts (names, system entries, resend), test/cli/terminal.test.ts
// (pending verification), test/integration/messenger.test.ts and test/cli/reconnect.test.ts (unconfirmed
// sends tried again), test/adversarial/chaos.test.ts (none reported failed under faults).
import { afterEach, describe, expect, it } from "vitest";
import {
	createMemoryMessengerStores,
	type HistoryEntry,
	loadPendingVerification,
	Messenger,
	MessengerError,
	type MessengerEvent,
	requestVerificationCode,
	SEND_RETRY_WINDOW_MS,
} from "../../protocol/messenger/index.ts";
import { FakeRelay } from "./support/fake-relay.ts";
import { type FastUser, lastStatus, online, received, registerUser } from "./support/fake-users.ts";
import { ManualTimers } from "./support/manual-timers.ts";

const running: FastUser[] = [];
const stoppers: (() => void)[] = [];

afterEach(() => {
	for (const user of running.splice(0)) user.messenger.stop();
	for (const stop of stoppers.splice(0)) stop();
});

async function user(on: FakeRelay, phone: string): Promise<FastUser> {
	const registered = await registerUser(on, phone);
	running.push(registered);
	await online(registered);
	return registered;
}

/** A new install of `phone` (new keys), online. */
async function reinstall(on: FakeRelay, phone: string): Promise<FastUser> {
	return user(on, phone);
}

function keyChanges(events: readonly MessengerEvent[]): number {
	return events.filter((event) => event.type === "identity_changed").length;
}

/** Polls (real time) until `condition` holds: for work that runs on real crypto between manual timer steps. */
async function until(condition: () => boolean, what: string): Promise<void> {
	const deadline = Date.now() + 10_000;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

function systemEntries(entries: readonly HistoryEntry[]) {
	return entries.filter((entry) => entry.direction === "system").map((entry) => entry.system);
}

describe("names", () => {
	it("are set (trimmed), creating the contact, shown in the contact event, cleared with null, and never sent", async () => {
		const fake = new FakeRelay();
		const alice = await user(fake, "+1 555 555 0201");
		const bob = "+15555550202";

		const named = await alice.messenger.setName(bob, "  Bob Builder  ");
		expect(named).toMatchObject({ phone: bob, name: "Bob Builder", unread: 0 });
		expect(alice.events.at(-1)).toEqual({ type: "contact", contact: named });
		expect(await alice.state.contacts.loadContact(bob)).toMatchObject({ name: "Bob Builder" });
		expect(await alice.messenger.setName(bob, "🦊 Bob")).toMatchObject({ name: "🦊 Bob" });

		const cleared = await alice.messenger.setName(bob, null);
		expect(cleared).toEqual({ v: 1, phone: bob, unread: 0, lastAt: 0, lastText: "" });
		expect(JSON.stringify(fake.received)).not.toContain("Bob");
	});

	it("refuses empty, over-long and control-character names with invalid_name", async () => {
		const fake = new FakeRelay();
		const alice = await user(fake, "+1 555 555 0203");
		for (const bad of ["   ", "x".repeat(65), "Bob\nEve", "Bob\u0000", "\u202Eevil"]) {
			const error = await alice.messenger.setName("+15555550204", bad).catch((caught: unknown) => caught);
			expect(error, JSON.stringify(bad)).toBeInstanceOf(MessengerError);
			expect((error as MessengerError).code).toBe("invalid_name");
		}
		// 64 characters (code points) is fine, emoji included.
		await expect(alice.messenger.setName("+15555550204", "🦊".repeat(64))).resolves.toMatchObject({
			name: "🦊".repeat(64),
		});
		expect(await alice.state.contacts.listContacts()).toHaveLength(1);
	});
});

describe("system entries", () => {
	it("record verifying, a key change, rejecting and accepting, without counting as unread or replacing the last text", async () => {
		const fake = new FakeRelay();
		const alice = await user(fake, "+1 555 555 0211");
		const bob = await user(fake, "+1 555 555 0212");
		await bob.messenger.send(alice.phone, "hello");
		await alice.until((events) => received(events).includes("hello"), "hello at alice");

		await alice.messenger.markVerified(bob.phone);
		await alice.messenger.markVerified(bob.phone); // already verified: no second entry
		await alice.messenger.markVerified(bob.phone, false);

		// Bob reinstalls: a new key. His message is held; a system entry says the number changed.
		await reinstall(fake, bob.phone).then((again) => again.messenger.send(alice.phone, "new phone"));
		await alice.until((events) => keyChanges(events) === 1, "the first key change");
		await alice.messenger.acceptIdentityChange(bob.phone);
		await alice.until((events) => received(events).includes("new phone"), "the held message");
		// And again; this time Alice rejects the new key (its message is dropped, its sender told).
		await reinstall(fake, bob.phone).then((again) => again.messenger.send(alice.phone, "third phone"));
		await alice.until((events) => keyChanges(events) === 2, "the second key change");
		await alice.messenger.rejectIdentityChange(bob.phone);

		const history = await alice.messenger.history(bob.phone);
		expect(systemEntries(history)).toEqual([
			{ event: "verified" },
			{ event: "unverified" },
			{ event: "safety_number_changed" },
			{ event: "key_accepted" },
			{ event: "safety_number_changed" },
			{ event: "key_rejected" },
		]);
		for (const entry of history.filter((candidate) => candidate.direction === "system")) {
			expect(entry.status).toBe("received");
			expect(entry.id).toMatch(/^sys-/);
			expect(entry.text.length).toBeGreaterThan(10);
		}
		const emitted = alice.events.flatMap((event) =>
			event.type === "entry" && event.entry.direction === "system" ? [event.entry.system?.event] : [],
		);
		expect(emitted).toEqual([
			"verified",
			"unverified",
			"safety_number_changed",
			"key_accepted",
			"safety_number_changed",
			"key_rejected",
		]);
		const contact = await alice.state.contacts.loadContact(bob.phone);
		expect(contact).toMatchObject({ unread: 2, lastText: "new phone" });
	});

	it("a send refused for good (an unknown number) adds not_delivered about that message", async () => {
		const fake = new FakeRelay();
		const alice = await user(fake, "+1 555 555 0213");
		const refused = await alice.messenger.send("+1 555 555 0214", "to nobody?");
		expect(refused).toMatchObject({ status: "failed", error: { code: "unknown_recipient" } });
		const history = await alice.messenger.history("+1 555 555 0214");
		expect(systemEntries(history)).toEqual([{ event: "not_delivered", about: refused.id }]);
		expect(history.at(-1)?.text).toMatch(/^Not delivered: “to nobody\?” — /);
		expect(await alice.state.contacts.loadContact("+15555550214")).toMatchObject({
			lastText: "to nobody?",
			unread: 0,
		});
	});
});

describe("pending verification", () => {
	it("is stored when a code is requested, read back until it expires, and cleared by registering", async () => {
		const fake = new FakeRelay();
		const stores = createMemoryMessengerStores();
		let now = 1_800_000_000_000;
		const clock = { now: () => now };

		expect(await loadPendingVerification(stores.account, clock)).toBeNull();
		await requestVerificationCode(fake.url, "+1 555 555 0221", fake.fetch, {
			account: stores.account,
			clock,
		});
		const pending = {
			v: 1,
			phone: "+15555550221",
			relayUrl: fake.url,
			expiresAt: now + 600_000,
			resendAt: now + 60_000,
		};
		expect(await loadPendingVerification(stores.account, clock)).toEqual(pending);

		now += 599_999;
		expect(await loadPendingVerification(stores.account, clock)).toEqual(pending);
		now += 1;
		expect(await loadPendingVerification(stores.account, clock)).toBeNull();
		expect(await stores.account.loadPendingVerification()).toBeNull();

		await requestVerificationCode(fake.url, "+1 555 555 0221", fake.fetch, {
			account: stores.account,
			clock,
		});
		expect(await loadPendingVerification(stores.account, clock)).not.toBeNull();
		await registerUser(fake, "+1 555 555 0221", { ...stores, ...freshProtocol() });
		expect(await stores.account.loadPendingVerification()).toBeNull();
	});
});

function freshProtocol() {
	const { account: _a, contacts: _c, history: _h, ...protocol } = createMemoryMessengerStores();
	return protocol;
}

describe("keep trying", () => {
	/** Alice on manual timers and a movable clock, her frames lost while `down`. */
	async function flakyAlice(fake: FakeRelay, phone: string) {
		const registered = await registerUser(fake, phone);
		registered.messenger.stop();
		const timers = new ManualTimers();
		const link = { down: false, offset: 0 };
		const events: MessengerEvent[] = [];
		const messenger = await Messenger.open({
			stores: registered.state,
			fetch: fake.fetch,
			timers,
			clock: { now: () => Date.now() + link.offset },
			sendTimeoutMs: 1_000,
			createSocket: (url) => fake.socket(url, { muted: () => link.down }),
			onEvent: (event) => events.push(event),
		});
		stoppers.push(() => messenger.stop());
		messenger.start();
		await messenger.waitForDrain();
		return { messenger, timers, link, events, phone: registered.phone, state: registered.state };
	}

	it("a send the relay did not confirm stays 'sending' and goes again under the same id once the link is back", async () => {
		const fake = new FakeRelay();
		const bob = await user(fake, "+1 555 555 0231");
		const alice = await flakyAlice(fake, "+1 555 555 0232");

		alice.link.down = true;
		const sending = alice.messenger.send(bob.phone, "are you there?");
		await until(() => alice.timers.pending().includes(1_000), "the send waiting for the relay");
		alice.timers.advance(1_000);
		const entry = await sending;
		expect(entry.status).toBe("sending");
		expect((await alice.messenger.history(bob.phone)).at(-1)).toMatchObject({
			id: entry.id,
			status: "sending",
		});
		expect(alice.events.some((event) => event.type === "status" && event.status === "failed")).toBe(false);

		alice.link.down = false;
		await until(() => alice.timers.pending().includes(2_000), "the first retry scheduled");
		alice.timers.advance(2_000);
		await bob.until((events) => received(events).includes("are you there?"), "the retried message at bob");
		expect(await alice.messenger.history(bob.phone)).toMatchObject([
			{ id: entry.id, status: expect.stringMatching(/^(sent|delivered)$/) },
		]);
		expect(received(bob.events).filter((text) => text === "are you there?")).toHaveLength(1);
		expect(fake.framesFrom(alice.phone, "send").every((frame) => frame.id === entry.id)).toBe(true);
	});

	it("backs off between attempts and fails the message, with a system entry, once it is 24 hours old", async () => {
		const fake = new FakeRelay();
		const bob = await user(fake, "+1 555 555 0233");
		const alice = await flakyAlice(fake, "+1 555 555 0234");

		alice.link.down = true;
		const sending = alice.messenger.send(bob.phone, "lost in space");
		await until(() => alice.timers.pending().includes(1_000), "the send waiting for the relay");
		alice.timers.advance(1_000);
		const entry = await sending;
		expect(entry.status).toBe("sending");
		// Attempt 2 after 2 s, which also times out after 1 s; the next wait is longer.
		await until(() => alice.timers.pending().includes(2_000), "the first retry scheduled");
		alice.timers.advance(2_000);
		await until(() => alice.timers.pending().includes(1_000), "the second attempt waiting for the relay");
		alice.timers.advance(1_000);
		await until(() => alice.timers.pending().includes(10_000), "the second retry scheduled, later");
		expect(fake.framesFrom(alice.phone, "send")).toEqual([]);

		alice.link.offset = SEND_RETRY_WINDOW_MS;
		alice.timers.advance(10_000);
		await until(() => lastStatus(alice.events, entry.id) !== undefined, "the final status");
		expect(lastStatus(alice.events, entry.id)).toBe("failed:relay_unreachable");
		const history = await alice.messenger.history(bob.phone);
		expect(history.find((candidate) => candidate.id === entry.id)?.status).toBe("failed");
		expect(systemEntries(history)).toEqual([{ event: "not_delivered", about: entry.id }]);
	});

	it("an unconfirmed send from an earlier run goes at the next start, or fails there if 24 hours old", async () => {
		const fake = new FakeRelay();
		const alice = await user(fake, "+1 555 555 0235");
		const bob = await user(fake, "+1 555 555 0236");
		await alice.messenger.send(bob.phone, "warm-up");
		alice.messenger.stop();
		const base = { v: 1 as const, peer: bob.phone, direction: "out" as const, status: "sending" as const };
		await alice.state.history.storeEntry({
			...base,
			id: "recent-unconfirmed",
			text: "recent",
			at: Date.now() - 60_000,
		});
		await alice.state.history.storeEntry({
			...base,
			id: "old-unconfirmed",
			text: "old",
			at: Date.now() - SEND_RETRY_WINDOW_MS - 1,
		});

		await alice.restart();
		await bob.until((events) => received(events).includes("recent"), "the recent one at bob");
		await alice.until(
			(events) => lastStatus(events, "old-unconfirmed") === "failed:relay_unreachable",
			"the old one failed",
		);
		expect(received(bob.events)).not.toContain("old");
	});
});
