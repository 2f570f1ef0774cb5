// The shared relay client (protocol/client) against the real relay: registration, key directory,
// live and offline delivery, acks and receipts, over real HTTP and WebSockets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConnectionHandlers, RelayConnection, type SendOutcome } from "../../protocol/client/index.ts";
import { RelayHttpClient } from "../../protocol/client/relay-http.ts";
import { type MessageFrame, PING_TEXT, type ReceiptFrame } from "../../protocol/wire/index.ts";
import { startMitmRelay } from "../support/mitm-relay.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { makeIdentity, makeOneTimePrekeys, makeSignedPrekey, randomBody } from "../support/test-identity.ts";

let relay: RunningRelay;
let http: RelayHttpClient;

beforeAll(async () => {
	relay = await startRelay();
	http = new RelayHttpClient(relay.url);
});
afterAll(() => relay.close());

async function register(phone: string) {
	const requested = await http.requestCode(phone);
	expect(requested.delivery).toBe("echo");
	expect(requested.code).toMatch(/^[0-9]{6}$/);
	const identity = await makeIdentity();
	const registered = await http.confirmCode(phone, requested.code ?? "", identity.publicKeys);
	await http.uploadPrekeys(registered.token, {
		signedPrekey: await makeSignedPrekey(identity, 1),
		oneTimePrekeys: await makeOneTimePrekeys(1, 3),
	});
	return { phone: registered.phone, token: registered.token, identity };
}

function connect(user: { phone: string; token: string }, url = http.connectUrl(user.phone)) {
	const messages: MessageFrame[] = [];
	const receipts: ReceiptFrame[] = [];
	let drained = 0;
	const waiters: (() => void)[] = [];
	const notify = () => {
		for (const wake of waiters.splice(0)) wake();
	};
	const handlers: ConnectionHandlers = {
		message: (frame) => {
			messages.push(frame);
			notify();
		},
		receipt: (frame) => {
			receipts.push(frame);
			notify();
		},
		drained: () => {
			drained += 1;
			notify();
		},
	};
	const connection = new RelayConnection({ url, token: user.token, handlers });
	connection.start();
	const until = async (condition: () => boolean, what: string) => {
		const deadline = Date.now() + 10_000;
		while (!condition()) {
			if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
			await new Promise<void>((resolve) => {
				waiters.push(resolve);
				setTimeout(resolve, 100);
			});
		}
	};
	return { connection, messages, receipts, drainedCount: () => drained, until };
}

describe("relay clients over real HTTP and WebSockets", () => {
	it("registers, publishes keys and hands out a bundle with a one-time prekey", async () => {
		const alice = await register("+1 555 555 0101");
		const bob = await register("+1 (555) 555-0102");
		expect(bob.phone).toBe("+15555550102");
		const bundle = await http.fetchBundle(alice.token, bob.phone);
		expect(bundle.identity).toEqual(bob.identity.publicKeys);
		expect(bundle.oneTimePrekey?.keyId).toBe(1);
		expect((await http.prekeyStatus(bob.token)).oneTimePrekeys).toBe(2);
	});

	it("delivers live and offline, in order, acks only after handling, and returns receipts", async () => {
		const alice = await register("+1 555 555 0111");
		const bob = await register("+1 555 555 0112");
		const a = connect(alice);
		await a.until(() => a.drainedCount() === 1, "alice's first drained");

		// Bob is offline: queued.
		const queued: SendOutcome[] = [];
		for (const id of ["m1", "m2", "m3"]) queued.push(await a.connection.send(bob.phone, id, randomBody(100)));
		expect(queued).toEqual([
			{ ok: true, delivery: "queued" },
			{ ok: true, delivery: "queued" },
			{ ok: true, delivery: "queued" },
		]);

		const b = connect(bob);
		await b.until(() => b.drainedCount() === 1 && b.messages.length === 3, "bob's backlog");
		expect(b.messages.map((m) => m.id)).toEqual(["m1", "m2", "m3"]);
		expect(b.messages.every((m) => m.from === alice.phone)).toBe(true);

		// Live now.
		expect(await a.connection.send(bob.phone, "m4", randomBody(10))).toEqual({ ok: true, delivery: "live" });
		await b.until(() => b.messages.length === 4, "live message");
		await a.until(() => a.receipts.length === 4, "four receipts");
		expect(a.receipts.map((r) => r.id).sort()).toEqual(["m1", "m2", "m3", "m4"]);

		// Everything was acknowledged: a reconnect brings nothing back.
		b.connection.stop();
		const again = connect(bob);
		await again.until(() => again.drainedCount() === 1, "bob's second drained");
		expect(again.messages).toEqual([]);
		again.connection.stop();
		a.connection.stop();
	});

	it("reports relay errors to the sender with their codes", async () => {
		const carol = await register("+1 555 555 0121");
		const c = connect(carol);
		await c.until(() => c.drainedCount() === 1, "drained");
		const unknown = await c.connection.send("+15555550199", "x1", randomBody(10));
		expect(unknown).toMatchObject({ ok: false, code: "unknown_recipient" });
		const tooLarge = await c.connection.send(carol.phone, "x2", randomBody(65 * 1024));
		expect(tooLarge).toMatchObject({ ok: false, code: "too_large" });
		c.connection.stop();
	});

	it("acknowledges messages at once and receipts lazily, riding on the next send or after a second", async () => {
		const watch = await startMitmRelay(relay.url);
		const fromAlice: Record<string, unknown>[] = [];
		watch.clientFrames = (text, connection) => {
			if (connection.phone === alice.phone && text !== PING_TEXT) fromAlice.push(JSON.parse(text));
			return undefined;
		};
		const alice = await register("+1 555 555 0131");
		const bob = await register("+1 555 555 0132");
		const a = connect(alice, new RelayHttpClient(watch.url).connectUrl(alice.phone));
		const b = connect(bob);
		try {
			await a.until(() => a.drainedCount() === 1, "alice drained");
			await b.until(() => b.drainedCount() === 1, "bob drained");
			expect(await a.connection.send(bob.phone, "r1", randomBody(10))).toMatchObject({ ok: true });
			await a.until(() => a.receipts.length === 1, "first receipt");
			const first = a.receipts[0]?.seq;
			// Alice's next send carries the receipt's ack; no ack frame went out on its own.
			expect(await a.connection.send(bob.phone, "r2", randomBody(10))).toMatchObject({ ok: true });
			const sends = fromAlice.filter((frame) => frame.type === "send");
			expect(sends.map((frame) => frame.id)).toEqual(["r1", "r2"]);
			expect(sends[1]?.acks).toEqual([first]);
			expect(fromAlice.filter((frame) => frame.type === "ack")).toEqual([]);
			// With nothing to ride on, the second receipt's ack goes out alone, about a second later.
			await a.until(() => a.receipts.length === 2, "second receipt");
			const second = a.receipts[1]?.seq;
			const receivedAt = Date.now();
			await a.until(() => fromAlice.some((frame) => frame.type === "ack"), "lazy ack frame");
			expect(Date.now() - receivedAt).toBeGreaterThan(500);
			expect(fromAlice.filter((frame) => frame.type === "ack")).toEqual([{ type: "ack", seqs: [second] }]);
			// Bob's acks of messages were not lazy: both receipts came back while Alice kept quiet.
			expect(a.receipts.map((receipt) => receipt.id)).toEqual(["r1", "r2"]);
			// Both receipts are gone from Alice's mailbox: a new connection gets nothing back.
			a.connection.stop();
			const again = connect(alice);
			await again.until(() => again.drainedCount() === 1, "alice drained again");
			expect(again.receipts).toEqual([]);
			again.connection.stop();
		} finally {
			a.connection.stop();
			b.connection.stop();
			await watch.close();
		}
	});
});
