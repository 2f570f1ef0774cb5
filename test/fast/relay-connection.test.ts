// RelayConnection (protocol/client/relay-connection.ts) on a fake socket and manual timers: the test
// plays the relay and owns time. Every frame the client sends is parsed with the wire's ClientFrame
// schema (fake-socket.ts). End-to-end twins against the real Worker: test/integration/relay-clients.test.ts,
// test/adversarial/client-connect-timeout.test.ts, test/adversarial/faults.test.ts,
// test/cli/session-ended.test.ts, test/cli/reconnect.test.ts (docs/TESTING.md lists the pairs).
import { afterEach, describe, expect, it } from "vitest";
import {
	BACKLOG_ACK_MS,
	type ConnectionHandlers,
	type ConnectionState,
	LAZY_ACK_MS,
	RelayConnection,
	type RelayConnectionOptions,
	type SendOutcome,
	type StopReason,
} from "../../protocol/client/index.ts";
import {
	CLOSE_CODES,
	type MessageFrame,
	PROTOCOL_VERSION,
	type ReceiptFrame,
	type ResumeFrame,
} from "../../protocol/wire/index.ts";
import { e164, FakeSocket } from "./support/fake-socket.ts";
import { ManualTimers, settle } from "./support/manual-timers.ts";

const ME = e164("+15555550101");
const PEER = e164("+15555550102");
const URL_ = "ws://relay.test/v1/connect/%2B15555550101";
const TOKEN = "15555550101.test-token-that-is-long-enough";
const BODY = "AQIDBA";

const allSockets: FakeSocket[] = [];
afterEach(() => {
	for (const socket of allSockets.splice(0))
		expect(socket.invalid, "frames that are not a ClientFrame").toEqual([]);
});

interface Setup {
	connection: RelayConnection;
	timers: ManualTimers;
	sockets: FakeSocket[];
	states: { state: ConnectionState; detail: string; reason?: StopReason }[];
	/** The socket of the current attempt. */
	socket(): FakeSocket;
	/** Opens the current socket and answers its hello with ready. */
	handshake(): Promise<FakeSocket>;
}

function setup(
	options: Partial<Omit<RelayConnectionOptions, "handlers">> = {},
	handlers: Partial<ConnectionHandlers> = {},
): Setup {
	const timers = new ManualTimers();
	const sockets: FakeSocket[] = [];
	const states: Setup["states"] = [];
	const connection = new RelayConnection({
		url: URL_,
		token: TOKEN,
		timers,
		random: () => 0.5,
		createSocket: (url) => {
			const socket = new FakeSocket(url);
			sockets.push(socket);
			allSockets.push(socket);
			return socket;
		},
		...options,
		handlers: {
			message: () => undefined,
			state: (state, detail, reason) => states.push({ state, detail, ...(reason ? { reason } : {}) }),
			...handlers,
		},
	});
	const socket = () => {
		const current = sockets.at(-1);
		if (!current) throw new Error("no socket was created");
		return current;
	};
	return {
		connection,
		timers,
		sockets,
		states,
		socket,
		handshake: async () => {
			const current = socket();
			current.open();
			current.receive({ type: "ready", protocol: PROTOCOL_VERSION, phone: ME, pending: 0 });
			await settle();
			return current;
		},
	};
}

let nextSeq = 1;
function message(seq = nextSeq++): MessageFrame {
	return { type: "message", seq, from: PEER, id: `m${seq}`, body: BODY, sentAt: 1_700_000_000_000 };
}
function receipt(seq = nextSeq++): ReceiptFrame {
	return { type: "receipt", seq, to: PEER, id: `r${seq}`, deliveredAt: 1_700_000_000_000 };
}
function resume(seq = nextSeq++): ResumeFrame {
	return { type: "resume", seq, to: PEER };
}

/** A promise whose outcome the test can read without awaiting it. */
function track(promise: Promise<SendOutcome>): { outcome: SendOutcome | undefined } {
	const box: { outcome: SendOutcome | undefined } = { outcome: undefined };
	void promise.then((outcome) => {
		box.outcome = outcome;
	});
	return box;
}

describe("handshake", () => {
	it("says hello with the protocol version and token once open (never in the URL), and is online on ready", async () => {
		const { connection, socket, states } = setup();
		connection.start();
		expect(connection.state).toBe("connecting");
		expect(socket().url).toBe(URL_);
		expect(socket().url).not.toContain("token");
		expect(socket().frames).toEqual([]);
		socket().open();
		expect(socket().frames).toEqual([{ type: "hello", protocol: PROTOCOL_VERSION, token: TOKEN }]);
		expect(connection.state).toBe("connecting");
		socket().receive({ type: "ready", protocol: PROTOCOL_VERSION, phone: ME, pending: 0 });
		expect(connection.state).toBe("online");
		expect(states.at(-1)).toEqual({ state: "online", detail: `connected as ${ME}` });
		connection.stop();
	});

	it("ignores frames that are not ServerFrames (garbage, binary, unknown types)", async () => {
		const messages: MessageFrame[] = [];
		const { connection, handshake, socket } = setup({}, { message: (frame) => void messages.push(frame) });
		connection.start();
		await handshake();
		socket().receiveText("not json");
		socket().receiveText(new Uint8Array([1, 2, 3]));
		socket().receiveText(JSON.stringify({ type: "message", seq: -1, from: PEER, id: "x", body: BODY }));
		socket().receiveText(JSON.stringify({ type: "surprise" }));
		await settle();
		expect(messages).toEqual([]);
		expect(connection.state).toBe("online");
		connection.stop();
	});
});

describe("reconnecting", () => {
	/** The reconnect delays chosen after `drops` failed attempts in a row. */
	function delays(random: number, drops: number, maxBackoffMs?: number): number[] {
		const { connection, timers, socket } = setup({ random: () => random, maxBackoffMs });
		connection.start();
		const chosen: number[] = [];
		for (let i = 0; i < drops; i += 1) {
			socket().drop(1006);
			const [delay, ...rest] = timers.pending();
			expect(rest).toEqual([]);
			if (delay === undefined) throw new Error("no reconnect was scheduled");
			chosen.push(delay);
			timers.advance(delay);
		}
		connection.stop();
		return chosen;
	}

	it("backs off exponentially from 0.5 s, with jitter between half and all of the step, capped at maxBackoffMs", () => {
		expect(delays(0, 7, 8_000)).toEqual([250, 500, 1_000, 2_000, 4_000, 4_000, 4_000]);
		expect(delays(1, 7, 8_000)).toEqual([500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
		expect(delays(0.5, 3, 8_000)).toEqual([375, 750, 1_500]);
		// The default cap is 30 s.
		expect(delays(1, 8).slice(-3)).toEqual([16_000, 30_000, 30_000]);
	});

	it("waits the whole delay, says when it retries, and starts again from 0.5 s after a ready", async () => {
		const { connection, timers, sockets, socket, states, handshake } = setup({ random: () => 0 });
		connection.start();
		socket().drop(1006, "network gone");
		expect(states.at(-1)).toEqual({ state: "offline", detail: "network gone; retrying in 1 s" });
		timers.advance(249);
		expect(sockets).toHaveLength(1);
		timers.advance(1);
		expect(sockets).toHaveLength(2);
		expect(states.at(-1)?.detail).toBe("reconnecting (attempt 2)");
		socket().drop(1006);
		expect(timers.pending()).toEqual([500]);
		timers.advance(500);
		await handshake();
		socket().drop(1011);
		expect(timers.pending()).toEqual([250]);
		connection.stop();
	});

	it("reconnectNow skips the wait; it does nothing while connected", async () => {
		const { connection, sockets, socket, handshake } = setup();
		connection.start();
		socket().drop(1006);
		connection.reconnectNow();
		expect(sockets).toHaveLength(2);
		await handshake();
		connection.reconnectNow();
		expect(sockets).toHaveLength(2);
		connection.stop();
	});

	it("an error event with no close after it counts as a close 0.5 s later", () => {
		const { connection, timers, sockets, socket } = setup({ random: () => 0 });
		connection.start();
		socket().error();
		timers.advance(499);
		expect(connection.state).toBe("connecting");
		timers.advance(1);
		expect(connection.state).toBe("offline");
		expect(socket().closedByClient).toBeDefined();
		timers.advance(250);
		expect(sockets).toHaveLength(2);
		connection.stop();
	});

	it("abandons a handshake that is never answered after connectTimeoutMs, retries, and ignores the late answer", async () => {
		const { connection, timers, sockets, socket, states, handshake } = setup({
			connectTimeoutMs: 5_000,
			random: () => 0,
		});
		connection.start();
		// Attempt 1: the WebSocket never even opens.
		timers.advance(4_999);
		expect(sockets).toHaveLength(1);
		timers.advance(1);
		const first = socket();
		expect(first.closedByClient?.code).toBe(1000);
		expect(states.at(-1)?.state).toBe("offline");
		expect(states.at(-1)?.detail).toMatch(/^the relay did not answer in time; retrying in/);
		timers.advance(250);
		// Attempt 2: open, hello sent, but no ready.
		const second = socket();
		expect(second).not.toBe(first);
		second.open();
		expect(second.sent("hello")).toHaveLength(1);
		timers.advance(5_000);
		expect(second.closedByClient?.code).toBe(1000);
		timers.advance(500);
		// Attempt 3 works; the abandoned sockets' late events change nothing.
		await handshake();
		expect(sockets).toHaveLength(3);
		first.receive({ type: "ready", protocol: PROTOCOL_VERSION, phone: ME, pending: 0 });
		second.drop(1006);
		expect(connection.state).toBe("online");
		expect(timers.pending(), "only the keep-alive ping is due").toEqual([25_000]);
		// And the connect timer of the working connection is gone.
		timers.advance(60_000);
		expect(sockets).toHaveLength(3);
		expect(connection.state).toBe("online");
		connection.stop();
	});

	it("pings every pingIntervalMs while online", async () => {
		const { connection, timers, handshake } = setup({ pingIntervalMs: 10_000 });
		connection.start();
		const socket = await handshake();
		timers.advance(9_999);
		expect(socket.sent("ping")).toEqual([]);
		timers.advance(1);
		expect(socket.sent("ping")).toEqual([{ type: "ping" }]);
		timers.advance(10_000);
		expect(socket.sent("ping")).toHaveLength(2);
		connection.stop();
	});
});

describe("final close codes stop for good", () => {
	const cases: { code: number; reason: StopReason; sendCode: string }[] = [
		{ code: CLOSE_CODES.replaced, reason: "replaced", sendCode: "connection_lost" },
		{ code: CLOSE_CODES.unauthenticated, reason: "signed_out", sendCode: "unauthenticated" },
		{ code: CLOSE_CODES.revoked, reason: "signed_out", sendCode: "unauthenticated" },
		{ code: CLOSE_CODES.unsupportedProtocol, reason: "unsupported_protocol", sendCode: "unauthenticated" },
	];
	for (const { code, reason, sendCode } of cases) {
		it(`${code} → stopped (${reason}), unanswered sends fail with ${sendCode}, no reconnect`, async () => {
			const { connection, timers, sockets, states, handshake } = setup();
			connection.start();
			const socket = await handshake();
			const pending = track(connection.send(PEER, "unanswered", BODY));
			socket.drop(code);
			await settle();
			expect(connection.state).toBe("stopped");
			expect(states.at(-1)).toMatchObject({ state: "stopped", reason });
			expect(pending.outcome).toMatchObject({ ok: false, code: sendCode });
			expect(timers.pending()).toEqual([]);
			timers.advance(10 * 60_000);
			expect(sockets).toHaveLength(1);
			expect(await connection.send(PEER, "after", BODY)).toMatchObject({
				ok: false,
				code: "connection_lost",
			});
		});
	}

	it("other codes (4002 no hello in time, 1011, 1006) reconnect", () => {
		for (const code of [CLOSE_CODES.authTimeout, 1011, 1006]) {
			const { connection, timers, sockets, socket } = setup({ random: () => 0 });
			connection.start();
			socket().drop(code);
			expect(connection.state).toBe("offline");
			timers.advance(250);
			expect(sockets).toHaveLength(2);
			connection.stop();
		}
	});
});

describe("incoming entries and acknowledgements", () => {
	it("hands messages over one at a time, in order, and acks a burst in one frame once the queue is idle", async () => {
		const gates: (() => void)[] = [];
		const handled: number[] = [];
		let running = 0;
		let mostAtOnce = 0;
		const { connection, handshake } = setup(
			{},
			{
				message: async (frame) => {
					running += 1;
					mostAtOnce = Math.max(mostAtOnce, running);
					await new Promise<void>((resolve) => gates.push(resolve));
					handled.push(frame.seq);
					running -= 1;
				},
			},
		);
		connection.start();
		const socket = await handshake();
		socket.receive(message(101));
		socket.receive(message(102));
		socket.receive(message(103));
		for (let i = 0; i < 3; i += 1) {
			await settle();
			expect(socket.sent("ack"), "no ack before the handlers finished").toEqual([]);
			gates.shift()?.();
		}
		await settle();
		expect(handled).toEqual([101, 102, 103]);
		expect(mostAtOnce).toBe(1);
		expect(socket.sent("ack")).toEqual([{ type: "ack", seqs: [101, 102, 103] }]);
		connection.stop();
	});

	it("acks a backlog's messages together once drained is handled, or what is handled after BACKLOG_ACK_MS; live messages after it at once", async () => {
		const { connection, timers, socket } = setup();
		connection.start();
		const current = socket();
		current.open();
		current.receive({ type: "ready", protocol: PROTOCOL_VERSION, phone: ME, pending: 4 });
		for (const seq of [301, 302, 303]) current.receive(message(seq));
		await settle();
		// The handler queue is idle, but the backlog is not over: no ack yet.
		expect(current.sent("ack")).toEqual([]);
		timers.advance(BACKLOG_ACK_MS - 1);
		expect(current.sent("ack")).toEqual([]);
		timers.advance(1);
		expect(current.sent("ack")).toEqual([{ type: "ack", seqs: [301, 302, 303] }]);
		current.receive(message(304));
		current.receive({ type: "drained" });
		await settle();
		expect(current.sent("ack").at(-1)).toEqual({ type: "ack", seqs: [304] });
		current.receive(message(305));
		await settle();
		expect(current.sent("ack").at(-1)).toEqual({ type: "ack", seqs: [305] });
		timers.advance(5_000);
		expect(current.sent("ack")).toHaveLength(3);
		connection.stop();
	});

	it("acks receipts and resume notices lazily: riding on the next send, or alone after LAZY_ACK_MS", async () => {
		const { connection, timers, handshake } = setup();
		connection.start();
		const socket = await handshake();
		socket.receive(receipt(201));
		await settle();
		expect(socket.sent("ack")).toEqual([]);
		void connection.send(PEER, "carrier", BODY);
		expect(socket.sent("send")).toEqual([{ type: "send", id: "carrier", to: PEER, body: BODY, acks: [201] }]);
		expect(socket.sent("ack")).toEqual([]);

		socket.receive(resume(202));
		socket.receive(receipt(203));
		await settle();
		timers.advance(LAZY_ACK_MS - 1);
		expect(socket.sent("ack")).toEqual([]);
		timers.advance(1);
		expect(socket.sent("ack")).toEqual([{ type: "ack", seqs: [202, 203] }]);

		// A message's prompt ack takes the lazy ones along.
		socket.receive(receipt(204));
		socket.receive(message(205));
		await settle();
		expect(socket.sent("ack").at(-1)).toEqual({ type: "ack", seqs: [205, 204] });
		timers.advance(5_000);
		expect(socket.sent("ack")).toHaveLength(2);
		connection.stop();
	});

	it('"hold" leaves a message unacknowledged until acknowledge(seq)', async () => {
		const { connection, timers, handshake } = setup({}, { message: () => "hold" });
		connection.start();
		const socket = await handshake();
		socket.receive(message(301));
		await settle();
		timers.advance(5_000);
		expect(socket.sent("ack")).toEqual([]);
		connection.acknowledge(301);
		expect(socket.sent("ack")).toEqual([{ type: "ack", seqs: [301] }]);
		connection.stop();
	});

	it('"discard" and discard(seq) drop messages with a discard frame, never an ack', async () => {
		const { connection, handshake } = setup(
			{},
			{ message: (frame) => (frame.seq === 401 ? "discard" : "hold") },
		);
		connection.start();
		const socket = await handshake();
		socket.receive(message(401));
		socket.receive(message(402));
		await settle();
		expect(socket.sent("discard")).toEqual([{ type: "discard", seqs: [401] }]);
		connection.discard(402);
		expect(socket.sent("discard")).toEqual([
			{ type: "discard", seqs: [401] },
			{ type: "discard", seqs: [402] },
		]);
		expect(socket.sent("ack")).toEqual([]);
		connection.stop();
	});

	it("a handler that throws leaves its message unacknowledged (the relay redelivers it); the rest are acked", async () => {
		const { connection, handshake } = setup(
			{},
			{
				message: (frame) => {
					if (frame.seq === 501) throw new Error("disk full");
				},
			},
		);
		connection.start();
		const socket = await handshake();
		socket.receive(message(501));
		socket.receive(message(502));
		await settle();
		expect(socket.sent("ack")).toEqual([{ type: "ack", seqs: [502] }]);
		connection.stop();
	});

	it("drained comes after the backlog before it was handled; relay errors without an id go to relayError", async () => {
		const events: string[] = [];
		const { connection, handshake } = setup(
			{},
			{
				message: async (frame) => {
					await settle();
					events.push(`message ${frame.seq}`);
				},
				drained: () => events.push("drained"),
				relayError: (frame) => events.push(`error ${frame.code}`),
			},
		);
		connection.start();
		const socket = await handshake();
		socket.receive(message(601));
		socket.receive({ type: "drained" });
		socket.receive({ type: "error", code: "unknown_message", message: "no such seq" });
		await settle();
		await settle();
		expect(events).toEqual(["error unknown_message", "message 601", "drained"]);
		connection.stop();
	});
});

describe("sending", () => {
	it("sends once ready, resends unanswered sends with the same id after a reconnect, and resolves with the answer", async () => {
		const { connection, timers, socket, handshake } = setup({ random: () => 0 });
		connection.start();
		const queued = track(connection.send(PEER, "early", BODY));
		expect(socket().frames).toEqual([]);
		const first = await handshake();
		expect(first.sent("send")).toEqual([{ type: "send", id: "early", to: PEER, body: BODY }]);
		const live = track(connection.send(PEER, "second", BODY));
		first.receive({ type: "sent", id: "second", to: PEER, delivery: "live" });
		await settle();
		expect(live.outcome).toEqual({ ok: true, delivery: "live" });

		first.drop(1006);
		timers.advance(250);
		const second = await handshake();
		expect(second.sent("send")).toEqual([{ type: "send", id: "early", to: PEER, body: BODY }]);
		expect(queued.outcome).toBeUndefined();
		second.receive({ type: "sent", id: "early", to: PEER, delivery: "queued" });
		await settle();
		expect(queued.outcome).toEqual({ ok: true, delivery: "queued" });
		// A late duplicate answer changes nothing.
		second.receive({ type: "sent", id: "early", to: PEER, delivery: "live" });
		await settle();
		expect(queued.outcome).toEqual({ ok: true, delivery: "queued" });
		connection.stop();
	});

	it("a refused send resolves with the relay's code, message and retryAfter", async () => {
		const { connection, handshake } = setup();
		connection.start();
		const socket = await handshake();
		const refused = track(connection.send(PEER, "too-many", BODY));
		socket.receive({
			type: "error",
			code: "rate_limited",
			message: "slow down",
			id: "too-many",
			to: PEER,
			retryAfter: 3,
		});
		await settle();
		expect(refused.outcome).toEqual({ ok: false, code: "rate_limited", message: "slow down", retryAfter: 3 });
		connection.stop();
	});

	it("a send the relay never answers is reported relay_unreachable after sendTimeoutMs, across reconnects", async () => {
		const { connection, timers, socket, handshake } = setup({ sendTimeoutMs: 10_000, random: () => 0 });
		connection.start();
		await handshake();
		const unanswered = track(connection.send(PEER, "lost", BODY));
		timers.advance(4_000);
		socket().drop(1006);
		timers.advance(250);
		await handshake();
		timers.advance(5_749);
		await settle();
		expect(unanswered.outcome).toBeUndefined();
		timers.advance(1);
		await settle();
		expect(unanswered.outcome).toMatchObject({ ok: false, code: "relay_unreachable" });
		// Not resent after it was reported unsent.
		socket().drop(1006);
		timers.advance(250);
		const third = await handshake();
		expect(third.sent("send")).toEqual([]);
		connection.stop();
	});

	it("stop() sends the acks still due, closes with 1000, fails unanswered sends, and stays stopped", async () => {
		const { connection, timers, sockets, states, handshake } = setup();
		connection.start();
		const socket = await handshake();
		socket.receive(receipt(701));
		await settle();
		const unanswered = track(connection.send(PEER, "in-flight", BODY));
		expect(socket.sent("send")[0]?.acks).toEqual([701]);
		socket.receive(receipt(702));
		await settle();
		connection.stop();
		await settle();
		expect(socket.sent("ack")).toEqual([{ type: "ack", seqs: [702] }]);
		expect(socket.closedByClient).toEqual({ code: 1000, reason: "client closed" });
		expect(unanswered.outcome).toMatchObject({ ok: false, code: "connection_lost" });
		expect(states.at(-1)).toEqual({ state: "stopped", detail: "disconnected", reason: "closed" });
		timers.advance(60_000);
		expect(sockets).toHaveLength(1);
	});
});
