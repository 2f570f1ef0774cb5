// The shared relay client (protocol/client) against the real relay: registration, key directory,
// live and offline delivery, acks and receipts, over real HTTP and WebSockets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	type ConnectionHandlers,
	LAZY_ACK_MS,
	RelayConnection,
	type SendOutcome,
} from "../../protocol/client/index.ts";
import { RelayHttpClient } from "../../protocol/client/relay-http.ts";
import {
	type MessageFrame,
	PING_TEXT,
	PROTOCOL_VERSION,
	parseJson,
	type ReceiptFrame,
	ServerFrame,
} from "../../protocol/wire/index.ts";
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
		// The size is checked by the sender's object, before the recipient is (sends to oneself are refused).
		const tooLarge = await c.connection.send("+15555550199", "x2", randomBody(65 * 1024));
		expect(tooLarge).toMatchObject({ ok: false, code: "too_large" });
		c.connection.stop();
	});

	it("acknowledges messages at once and receipts lazily, riding on the next send or after LAZY_ACK_MS", async () => {
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
			// With nothing to ride on, the second receipt's ack goes out alone, LAZY_ACK_MS later.
			await a.until(() => a.receipts.length === 2, "second receipt");
			const second = a.receipts[1]?.seq;
			const receivedAt = Date.now();
			await a.until(() => fromAlice.some((frame) => frame.type === "ack"), "lazy ack frame");
			expect(Date.now() - receivedAt).toBeGreaterThanOrEqual(LAZY_ACK_MS / 2);
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

	it("one ack frame for a 150-message backlog from three senders removes it all; a resend after the ack is delivered once more", async () => {
		const rachel = await register("+1 555 555 0140");
		const senders = await Promise.all(
			["+1 555 555 0141", "+1 555 555 0142", "+1 555 555 0143"].map((phone) => register(phone)),
		);
		const connections = senders.map((sender) => connect(sender));
		try {
			const ids = new Map<string, string[]>();
			await Promise.all(
				connections.map(async (c, i) => {
					await c.until(() => c.drainedCount() === 1, "sender drained");
					const sent: string[] = [];
					for (let n = 0; n < 50; n++) {
						const id = `bulk-${i}-${n}`;
						expect(await c.connection.send(rachel.phone, id, randomBody(40))).toEqual({
							ok: true,
							delivery: "queued",
						});
						sent.push(id);
					}
					ids.set(senders[i]?.phone ?? "", sent);
				}),
			);
			const first = await rawConnect(rachel);
			expect(first.pending).toBe(150);
			const seqs = first.backlog.map((frame) => frame.seq);
			expect(new Set(seqs).size).toBe(150);
			first.socket.send(JSON.stringify({ type: "ack", seqs }));
			// Every sender hears about every message.
			await Promise.all(connections.map((c) => c.until(() => c.receipts.length === 50, "50 receipts")));
			for (const [i, c] of connections.entries())
				expect(c.receipts.map((receipt) => receipt.id).sort()).toEqual(
					[...(ids.get(senders[i]?.phone ?? "") ?? [])].sort(),
				);
			first.socket.close();
			// Nothing comes back, at once or after the deferred removal was written.
			expect((await rawConnect(rachel)).pending).toBe(0);
			await new Promise((resolve) => setTimeout(resolve, 1_500));
			const later = await rawConnect(rachel);
			expect(later.pending).toBe(0);
			// The relay keeps no ids once acknowledged: a resend of one is delivered again, once, and the
			// recipient's client drops it as a repeat (docs/PROTOCOL.md §Mailbox rules).
			expect(await connections[0]?.connection.send(rachel.phone, "bulk-0-7", randomBody(40))).toMatchObject({
				ok: true,
			});
			later.socket.close();
			const again = await rawConnect(rachel);
			expect(again.pending).toBe(1);
			expect(again.backlog.map((frame) => frame.id)).toEqual(["bulk-0-7"]);
			again.socket.close();
		} finally {
			for (const c of connections) c.connection.stop();
		}
	});

	it("a backlog's acks go out in one frame once it is drained; senders who went away get every receipt when they come back, and then nothing more", async () => {
		const watch = await startMitmRelay(relay.url);
		const fromRachel: Record<string, unknown>[] = [];
		const rachel = await register("+1 555 555 0150");
		watch.clientFrames = (text, connection) => {
			if (connection.phone === rachel.phone && text !== PING_TEXT) fromRachel.push(JSON.parse(text));
			return undefined;
		};
		const senders = await Promise.all(["+1 555 555 0151", "+1 555 555 0152"].map((phone) => register(phone)));
		const ids = senders.map((_, i) => [0, 1, 2, 3].map((n) => `away-${i}-${n}`));
		for (const [i, sender] of senders.entries()) {
			const c = connect(sender);
			await c.until(() => c.drainedCount() === 1, "sender drained");
			for (const id of ids[i] ?? [])
				expect(await c.connection.send(rachel.phone, id, randomBody(40))).toEqual({
					ok: true,
					delivery: "queued",
				});
			c.connection.stop();
		}
		const r = connect(rachel, new RelayHttpClient(watch.url).connectUrl(rachel.phone));
		try {
			await r.until(() => r.messages.length === 8 && r.drainedCount() === 1, "the backlog");
			await r.until(() => fromRachel.some((frame) => frame.type === "ack"), "the backlog's ack");
			const acks = fromRachel.filter((frame) => frame.type === "ack");
			expect(acks).toEqual([{ type: "ack", seqs: r.messages.map((message) => message.seq) }]);
			for (const [i, sender] of senders.entries()) {
				const back = connect(sender);
				await back.until(() => back.receipts.length === 4 && back.drainedCount() === 1, "the receipts");
				expect(back.receipts.map((receipt) => receipt.id)).toEqual(ids[i]);
				expect(new Set(back.receipts.map((receipt) => receipt.seq)).size).toBe(4);
				// The lazy acks go out at the latest when the client stops; then nothing is left.
				back.connection.stop();
				const deadline = Date.now() + 5_000;
				let left = -1;
				while (left !== 0 && Date.now() < deadline) {
					const again = connect(sender);
					await again.until(() => again.drainedCount() === 1, "drained again");
					left = again.receipts.length;
					again.connection.stop();
				}
				expect(left).toBe(0);
			}
		} finally {
			r.connection.stop();
			await watch.close();
		}
	});
});

/** A bare WebSocket client: hello, then the ready frame and the backlog up to `drained`. */
async function rawConnect(user: { phone: string; token: string }) {
	const socket = new WebSocket(http.connectUrl(user.phone));
	const backlog: MessageFrame[] = [];
	const pending = await new Promise<number>((resolve, reject) => {
		let announced = -1;
		socket.addEventListener("open", () =>
			socket.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, token: user.token })),
		);
		socket.addEventListener("message", (event) => {
			const parsed = parseJson(ServerFrame, String(event.data), 1 << 22);
			if (!parsed.ok) return reject(new Error(parsed.message));
			const frame = parsed.value;
			if (frame.type === "ready") announced = frame.pending;
			if (frame.type === "message") backlog.push(frame);
			if (frame.type === "drained") resolve(announced);
		});
		socket.addEventListener("close", (event) => reject(new Error(`closed ${event.code}`)));
		setTimeout(() => reject(new Error("no drained frame within 10 s")), 10_000);
	});
	return { socket, pending, backlog };
}
