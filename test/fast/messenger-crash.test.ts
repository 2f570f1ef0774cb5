// A crash between the writes of receiving a first message, in process: Bob's stores behave like a
// disk (records copied on the way in and out) and die at the Nth mutation after Alice's message reaches
// his socket — that write throws, every later one is refused, and nothing more leaves his socket. A
// new Messenger then opens on what survived, and the relay redelivers the unacknowledged message.
// Every N: no session without its pin, the message in Bob's history once, counted unread once, shown
// live at most once, Alice's copy "delivered", and Bob's reply decrypts at Alice.
// End-to-end twins: test/integration/first-message-crash.test.ts (real Worker) and
// test/cli/first-message-crash.test.ts (the real CLI killed at each write).
import { afterEach, describe, expect, it } from "vitest";
import { FIRST_MESSAGE_WRITES as BOUNDARIES, type Disk, openDisk } from "../support/crash-disk.ts";
import { FakeRelay } from "./support/fake-relay.ts";
import {
	type FastUser,
	freshState,
	lastStatus,
	online,
	received,
	registerUser,
	type State,
} from "./support/fake-users.ts";

const running: FastUser[] = [];
afterEach(() => {
	for (const user of running.splice(0)) user.messenger.stop();
});

let phones = 0;
function nextPhone(): string {
	phones += 1;
	return `+1 555 555 ${String(6100 + phones)}`;
}

/** Alice online; Bob registered on `state`, running on `disk` (armed when Alice's message is pushed to him). */
async function pair(state: State, disk: Disk) {
	const relay = new FakeRelay();
	const alice = await registerUser(relay, nextPhone());
	const bob = await registerUser(relay, nextPhone(), state);
	running.push(alice, bob);
	await online(alice);
	relay.onDeliver = (phone, frame) => {
		if (phone === bob.phone && frame.type === "message" && frame.from === alice.phone) disk.armed = true;
	};
	await bob.reopen(disk.stores, (url) => relay.socket(url, { muted: () => disk.dead }));
	await online(bob);
	return { relay, alice, bob };
}

function sessionWithoutPin(state: State, peer: string): boolean {
	const record = state.sessions.records.get(peer);
	return (record?.sessions.length ?? 0) > 0 && !state.identities.trusted.has(peer);
}

function usedOneTimePrekey(alice: FastUser, bob: string): number {
	const id = alice.state.sessions.records.get(bob)?.sessions[0]?.pendingPrekey?.oneTimePrekeyId;
	if (id === undefined) throw new Error("Alice's first message used no one-time prekey");
	return id;
}

describe("a crash while receiving a first message", () => {
	it(`makes exactly these writes, in this order: ${BOUNDARIES.join(", ")}`, async () => {
		const state = freshState();
		const disk = openDisk(state);
		const { alice, bob } = await pair(state, disk);
		const sent = await alice.messenger.send(bob.phone, "first contact");
		const usedPrekey = usedOneTimePrekey(alice, bob.phone);
		await alice.until((events) => lastStatus(events, sent.id) === "delivered", "delivered");
		expect(disk.writes).toEqual(BOUNDARIES);
		expect(state.prekeys.oneTime.has(usedPrekey)).toBe(false);
		expect(received(bob.events)).toEqual(["first contact"]);
	});

	for (const [index, boundary] of BOUNDARIES.entries()) {
		const n = index + 1;
		it(`recovers from a crash at write ${n} (${boundary}): redelivered, in the history once, shown at most once`, async () => {
			const state = freshState();
			const disk = openDisk(state, n);
			let broken = false;
			disk.afterWrite = () => {
				broken ||= sessionWithoutPin(state, alice.phone);
			};
			const { relay, alice, bob } = await pair(state, disk);
			const sent = await alice.messenger.send(bob.phone, "first contact");
			await bob.until(() => disk.dead, `the crash at write ${n}`);
			// The process is gone: its connection drops, nothing more is acknowledged.
			bob.messenger.stop();
			expect(disk.writes).toEqual(BOUNDARIES.slice(0, n));
			expect(broken, "a session stored without the pin").toBe(false);
			expect(sessionWithoutPin(state, alice.phone)).toBe(false);
			expect(lastStatus(alice.events, sent.id)).not.toBe("delivered");
			expect(relay.mailbox(bob.phone).filter((e) => e.type === "message")).toHaveLength(1);
			const usedPrekey = usedOneTimePrekey(alice, bob.phone);
			expect(state.prekeys.oneTime.has(usedPrekey)).toBe(true);

			// The restart, on what survived.
			const second = await bob.restart(openDisk(state).stores);
			await alice.until(
				(events) => lastStatus(events, sent.id) === "delivered",
				"delivered after the restart",
			);
			expect(sessionWithoutPin(state, alice.phone)).toBe(false);
			const history = await second.history(alice.phone);
			expect(history.map((e) => [e.direction, e.text])).toEqual([["in", "first contact"]]);
			expect(history[0]?.at).toBe(sent.at);
			expect(received(bob.events).filter((text) => text === "first contact").length).toBeLessThanOrEqual(1);
			const contact = (await second.contacts()).find((c) => c.phone === alice.phone);
			expect(contact).toMatchObject({ lastText: "first contact", unread: 1 });
			expect(state.prekeys.oneTime.has(usedPrekey), `one-time prekey ${usedPrekey} still held`).toBe(false);

			const reply = await second.send(alice.phone, "reply after the crash");
			await alice.until((events) => received(events).includes("reply after the crash"), "the reply");
			await bob.until((events) => lastStatus(events, reply.id) === "delivered", "the reply delivered");
			expect(alice.events.filter((e) => e.type === "problem")).toEqual([]);
		});
	}
});
