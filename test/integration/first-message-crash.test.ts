// A crash at each write boundary of receiving a first message (issue 11, "pin before session"). Bob's
// stores behave like a disk (every record is copied on write and on read, so nothing written later can
// reach what is stored) and can die: counted from the moment Alice's first message reaches Bob's
// socket, the Nth store mutation throws and every later one is refused, and from then on nothing
// leaves Bob's socket — the process died. A fresh Messenger is then opened on what survived (the
// writes before N) and connects to the real relay, which redelivers the unacknowledged message.
// For every N: no state ever holds a session with Alice without her pinned identity; after the
// restart the message is in Bob's history exactly once, Bob's conversation list has it, Alice's copy
// ends "delivered", and Bob's reply decrypts at Alice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SocketLike } from "../../protocol/client/index.ts";
import {
	completeRegistration,
	createMemoryMessengerStores,
	Messenger,
	type MessengerEvent,
	type MessengerStores,
	requestVerificationCode,
} from "../../protocol/messenger/index.ts";
import { createMemoryStores, type MemoryStores } from "../../protocol/session/index.ts";
import { type Device, registerDevice, shown, spreadAddressFetch } from "../support/adversary-users.ts";
import { type Disk, FIRST_MESSAGE_WRITES, openDisk } from "../support/crash-disk.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";

/**
 * The store mutations a first message makes at its recipient, in order (protocol/session/messages.ts
 * decryptVerified and the Messenger's save callback): the message, its contact (unread count), the pin,
 * the session, the used one-time prekey's deletion.
 */
const BOUNDARIES = FIRST_MESSAGE_WRITES;

let relay: RunningRelay;
let phones = 0;

beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay?.close());

function nextPhone(): string {
	phones += 1;
	return `+1 555 555 ${String(6100 + phones)}`;
}

interface Phone {
	readonly phone: string;
	readonly state: MessengerStores & MemoryStores;
	readonly events: MessengerEvent[];
	until(predicate: () => boolean, what: string): Promise<void>;
}

/** Bob: registered through a disk view of fresh state. */
async function registerBob(): Promise<Phone> {
	const state = { ...createMemoryMessengerStores(), ...createMemoryStores() };
	const phone = nextPhone();
	const spread = spreadAddressFetch();
	const requested = await requestVerificationCode(relay.url, phone, spread);
	if (!requested.code) throw new Error("the test relay must use echo delivery");
	const account = await completeRegistration({
		relayUrl: relay.url,
		phone,
		code: requested.code,
		stores: openDisk(state).stores,
		extractable: false,
		fetch: spread,
	});
	const events: MessengerEvent[] = [];
	return {
		phone: account.phone,
		state,
		events,
		until: async (predicate, what) => {
			const deadline = Date.now() + 10_000;
			while (!predicate()) {
				if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
		},
	};
}

/**
 * One run of Bob's client on `disk`. The socket arms the disk when a message from `watchFor` arrives,
 * and sends nothing once the disk is dead (a dead process acknowledges nothing).
 */
async function runBob(bob: Phone, disk: Disk, watchFor: string) {
	let socket: WebSocket | undefined;
	const createSocket = (url: string): SocketLike => {
		const real = new WebSocket(url);
		socket = real;
		return {
			get readyState() {
				return real.readyState;
			},
			send: (data) => {
				if (!disk.dead) real.send(data);
			},
			close: (code, reason) => real.close(code, reason),
			addEventListener: ((type: string, listener: (event: unknown) => void) => {
				real.addEventListener(type, (event) => {
					if (type === "message" && !disk.armed) {
						const data: unknown = (event as MessageEvent).data;
						if (typeof data === "string" && data.includes('"type":"message"') && data.includes(watchFor))
							disk.armed = true;
					}
					if (!disk.dead || type === "close") listener(event);
				});
			}) as SocketLike["addEventListener"],
		};
	};
	const messenger = await Messenger.open({
		stores: disk.stores,
		createSocket,
		onEvent: (event) => bob.events.push(event),
	});
	messenger.start();
	await messenger.waitForDrain();
	return {
		messenger,
		/** The process dies: the socket goes away without another frame, and the client is dropped. */
		kill: () => {
			socket?.close();
			messenger.stop();
		},
	};
}

function statusOf(events: MessengerEvent[], id: string): string | undefined {
	let status: string | undefined;
	for (const event of events) if (event.type === "status" && event.id === id) status = event.status;
	return status;
}

/** The invariant "pin before session": a session record with Alice implies her pinned identity. */
function sessionWithoutPin(bob: Phone, alice: string): boolean {
	const record = bob.state.sessions.records.get(alice);
	return (record?.sessions.length ?? 0) > 0 && !bob.state.identities.trusted.has(alice);
}

/** The one-time prekey id Alice's session setup used (her pending prekey header, until Bob answers). */
async function usedOneTimePrekey(alice: Device, bob: string): Promise<number> {
	const id = (await alice.stores.sessions.loadSessionRecord(bob))?.sessions[0]?.pendingPrekey
		?.oneTimePrekeyId;
	if (id === undefined) throw new Error("Alice's first message used no one-time prekey");
	return id;
}

async function pair(): Promise<{ alice: Device; bob: Phone }> {
	const alice = await registerDevice(relay.url, nextPhone());
	const bob = await registerBob();
	alice.messenger.start();
	await alice.messenger.waitForDrain();
	return { alice, bob };
}

describe("a crash while receiving a first message", () => {
	it(`makes exactly these writes, in this order: ${BOUNDARIES.join(", ")}`, async () => {
		const { alice, bob } = await pair();
		const disk = openDisk(bob.state);
		const run = await runBob(bob, disk, alice.phone);
		const sent = await alice.messenger.send(bob.phone, "first contact");
		const usedPrekey = await usedOneTimePrekey(alice, bob.phone);
		await alice.until((events) => statusOf(events, sent.id) === "delivered", "delivered");
		expect(disk.writes).toEqual(BOUNDARIES);
		expect(bob.state.prekeys.oneTime.has(usedPrekey)).toBe(false);
		expect(shown(bob.events)).toEqual(["first contact"]);
		run.kill();
		alice.messenger.stop();
	});

	for (const [index, boundary] of BOUNDARIES.entries()) {
		const n = index + 1;
		it(`recovers from a crash at write ${n} (${boundary})`, async () => {
			const { alice, bob } = await pair();
			const disk = openDisk(bob.state, n);
			let broken = false;
			disk.afterWrite = () => {
				broken ||= sessionWithoutPin(bob, alice.phone);
			};
			const first = await runBob(bob, disk, alice.phone);
			const sent = await alice.messenger.send(bob.phone, "first contact");
			await bob.until(() => disk.dead, `the crash at write ${n}`);
			first.kill();
			expect(disk.writes).toEqual(BOUNDARIES.slice(0, n));
			expect(broken, "a session stored without the pin").toBe(false);
			expect(sessionWithoutPin(bob, alice.phone), "a session stored without the pin").toBe(false);
			expect(statusOf(alice.events, sent.id)).not.toBe("delivered");
			const usedPrekey = await usedOneTimePrekey(alice, bob.phone);
			expect(bob.state.prekeys.oneTime.has(usedPrekey)).toBe(true);

			// The restart, on what survived.
			const second = await runBob(bob, openDisk(bob.state), alice.phone);
			await alice.until((events) => statusOf(events, sent.id) === "delivered", "delivered after the restart");
			expect(sessionWithoutPin(bob, alice.phone)).toBe(false);
			const history = await second.messenger.history(alice.phone);
			expect(history.map((e) => [e.direction, e.text])).toEqual([["in", "first contact"]]);
			// The sender's time, from inside the encrypted content.
			expect(history[0]?.at).toBe(sent.at);
			// Shown live at most once (a crash after the session was stored leaves it to the history).
			expect(shown(bob.events).filter((text) => text === "first contact").length).toBeLessThanOrEqual(1);
			// The conversation is listed, with the message counted unread once.
			const contact = (await second.messenger.contacts()).find((c) => c.phone === alice.phone);
			expect(contact, "Alice missing from Bob's conversation list").toMatchObject({
				lastText: "first contact",
				unread: 1,
			});

			// The used one-time prekey's private key is gone (docs/E2E-PROTOCOL.md: deleted as soon as the
			// message decrypted), also when the crash came before its deletion.
			expect(bob.state.prekeys.oneTime.has(usedPrekey), `one-time prekey ${usedPrekey} still held`).toBe(
				false,
			);

			// Bob's reply decrypts at Alice, and reaches her as delivered.
			const reply = await second.messenger.send(alice.phone, "reply after the crash");
			await alice.until((events) => shown(events).includes("reply after the crash"), "the reply at alice");
			await bob.until(() => statusOf(bob.events, reply.id) === "delivered", "the reply delivered");
			expect(alice.events.filter((e) => e.type === "problem")).toEqual([]);
			second.kill();
			alice.messenger.stop();
		});
	}
});
