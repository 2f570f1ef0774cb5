// Section 1: relay throughput and latency, end to end. K sender/recipient pairs, each on its own
// WebSocket, send a window of messages; latency is send() called to message handled at the recipient.
//
//   friendly e2e      the full client stack (Messenger: encrypt, sign, send, DO→DO, push, verify,
//                     decrypt, store, ack) over the real relay.
//   friendly          the same transport (RelayConnection, batched acks) with opaque bodies of a real
//                     envelope's size over the real relay (auth, checks, SQLite mailbox, receipts).
//   plain-do          the same opaque harness over bench/baseline-relay (DO per phone, hibernation API,
//                     DO→DO RPC, push, `sent`), no crypto or storage.
//   node-ws           the same opaque harness over a plain Node `ws` relay (the machine's loopback limit).
//
// Before the pair rounds, single-message latency on the idle relays (issue 18): 200 messages one at a
// time on the FriendLy relay (state on disk) and on the plain DO relay, p50 and p99 side by side.
//
// The issue's target (relay ≥ 70% of the plain DO relay since issue 18, 50% before) compares relay with relay under the same
// client work, so it is judged on the opaque runs. The e2e run (same pairs and window) is shown beside
// it with its client CPU per message: on a 2-core machine the client's crypto and workerd share the
// cores, which bounds that ratio whatever the relay does (docs/PERFORMANCE.md).
// The relay limits a pair to a burst of 60 then 1/s, so a pair sends at most 55 in a timed round (30 at
// the default scale) and more load means more pairs. All relays run at once and are measured in
// alternating rounds with fresh pairs each round; the e2e run uses the disk-state relay.
import {
	describeTally,
	drive,
	type Endpoint,
	type Flow,
	freshAccounts,
	inBatches,
	MessengerEndpoint,
	nextPhone,
	OpaqueEndpoint,
	percentile,
	randomBody,
	realEnvelopeChars,
	startAll,
	stopAll,
	type Tally,
	type TrafficResult,
} from "./lib/harness.ts";
import type { BenchOptions, Row } from "./lib/options.ts";
import { profile } from "./lib/options.ts";
import { groupCpuMs, ownCpuMs, type StateLocation } from "./lib/processes.ts";
import { type RelayKind, startRelay } from "./lib/relays.ts";

const SECTION = "1 relay";

interface Measured {
	label: string;
	result: TrafficResult;
	warm: Tally;
	relayCpuUsPerMessage: number | null;
	clientCpuUsPerMessage: number;
	receipts: number | null;
}

async function measure(
	label: string,
	relay: Awaited<ReturnType<typeof startRelay>>,
	flows: Flow[],
	messages: number,
	window: number,
	receiptsOf: (() => number) | null,
): Promise<Measured> {
	// Warm-up: one message per flow (opens sessions, wakes objects); tallied but not timed.
	const warm = await drive(flows, { messages: 1, window: 1, prefix: "w" });
	console.log(describeTally(`${label} warm-up`, warm.tally));
	const relayBefore = groupCpuMs(relay);
	const clientBefore = ownCpuMs();
	const result = await drive(flows, { messages, window, prefix: "m" });
	const clientAfter = ownCpuMs();
	const relayAfter = groupCpuMs(relay);
	const count = Math.max(1, result.tally.received);
	let receipts: number | null = null;
	if (receiptsOf) {
		// Receipts follow the recipients' acks asynchronously; wait for them (bounded).
		const want = result.tally.received + warm.tally.received;
		const deadline = Date.now() + 10_000;
		while (receiptsOf() < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
		receipts = receiptsOf();
	}
	console.log(describeTally(label, result.tally));
	return {
		label,
		result,
		warm: warm.tally,
		relayCpuUsPerMessage:
			relayBefore && relayAfter ? ((relayAfter.total - relayBefore.total) * 1000) / count : null,
		clientCpuUsPerMessage: ((clientAfter - clientBefore) * 1000) / count,
		receipts,
	};
}

type Relay = Awaited<ReturnType<typeof startRelay>>;

/** Issue 18: single-message latency on an idle relay, over this many sequential messages. */
const IDLE_MESSAGES = 200;
/** Sequential messages per pair in the idle run (under the relay's burst of 60 per pair). */
const IDLE_PER_PAIR = 50;

interface IdleLatency {
	label: string;
	latencies: number[];
	tally: Tally[];
}

/**
 * One message at a time (window 1) on an otherwise idle relay: send() called to the message handled
 * at the recipient, 200 in all, over IDLE_MESSAGES / IDLE_PER_PAIR pairs run one after another.
 */
async function idleLatency(
	relay: Relay,
	kind: RelayKind,
	label: string,
	bodyChars: number,
): Promise<IdleLatency> {
	const endpoints: OpaqueEndpoint[] = [];
	try {
		const body = randomBody(bodyChars);
		const pairs = Math.ceil(IDLE_MESSAGES / IDLE_PER_PAIR);
		const accounts = await freshAccounts(relay.url, kind === "friendly", pairs * 2);
		for (const account of accounts) endpoints.push(new OpaqueEndpoint(relay.url, account, body));
		await startAll(endpoints);
		const latencies: number[] = [];
		const tally: Tally[] = [];
		for (let i = 0; i < pairs; i++) {
			const flow = { sender: endpoints[2 * i] as Endpoint, recipient: endpoints[2 * i + 1] as Endpoint };
			// One untimed message wakes both objects, as in the throughput runs.
			tally.push((await drive([flow], { messages: 1, window: 1, prefix: `iw${i}` })).tally);
			const result = await drive([flow], { messages: IDLE_PER_PAIR, window: 1, prefix: `i${i}` });
			latencies.push(...result.latencies);
			tally.push(result.tally);
		}
		for (const t of tally) if (!t.ok) console.log(describeTally(`${label} idle`, t));
		console.log(`  idle latency ${label}: ${latencies.length} sequential messages`);
		return { label, latencies, tally };
	} finally {
		stopAll(endpoints);
	}
}

async function opaqueRun(
	relay: Relay,
	kind: RelayKind,
	label: string,
	pairs: number,
	messages: number,
	window: number,
	bodyChars: number,
) {
	const endpoints: OpaqueEndpoint[] = [];
	try {
		const body = randomBody(bodyChars);
		const accounts = await freshAccounts(relay.url, kind === "friendly", pairs * 2);
		for (const account of accounts) endpoints.push(new OpaqueEndpoint(relay.url, account, body));
		await startAll(endpoints);
		const flows: Flow[] = [];
		for (let i = 0; i < pairs; i++)
			flows.push({ sender: endpoints[2 * i] as Endpoint, recipient: endpoints[2 * i + 1] as Endpoint });
		const senders = flows.map((flow) => flow.sender);
		return await measure(
			label,
			relay,
			flows,
			messages,
			window,
			kind === "friendly" ? () => senders.reduce((sum, s) => sum + s.receipts, 0) : null,
		);
	} finally {
		stopAll(endpoints);
	}
}

async function e2eRun(relay: Relay, pairs: number, messages: number, window: number) {
	const endpoints: MessengerEndpoint[] = [];
	try {
		const phones = Array.from({ length: pairs * 2 }, () => nextPhone());
		endpoints.push(...(await inBatches(phones, 4, (phone) => MessengerEndpoint.register(relay.url, phone))));
		await startAll(endpoints, 8);
		const flows: Flow[] = [];
		for (let i = 0; i < pairs; i++) {
			const sender = endpoints[2 * i] as MessengerEndpoint;
			const recipient = endpoints[2 * i + 1] as MessengerEndpoint;
			await sender.startChat(recipient.phone);
			flows.push({ sender, recipient });
		}
		const senders = flows.map((flow) => flow.sender);
		return await measure("friendly e2e", relay, flows, messages, window, () =>
			senders.reduce((sum, s) => sum + s.receipts, 0),
		);
	} finally {
		stopAll(endpoints);
	}
}

function combine(parts: Measured[]): Measured {
	const first = parts[0];
	if (!first) throw new Error("no measurement");
	const sumTally = (tallies: Tally[]): Tally => {
		const errorCodes: Record<string, number> = {};
		for (const t of tallies)
			for (const [code, n] of Object.entries(t.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
		const sum = (
			key:
				| "expected"
				| "received"
				| "duplicates"
				| "missing"
				| "unexpected"
				| "arrivedAfterRefusal"
				| "sendErrors",
		) => tallies.reduce((total, t) => total + t[key], 0);
		return {
			expected: sum("expected"),
			received: sum("received"),
			duplicates: sum("duplicates"),
			missing: sum("missing"),
			unexpected: sum("unexpected"),
			arrivedAfterRefusal: sum("arrivedAfterRefusal"),
			sendErrors: sum("sendErrors"),
			errorCodes,
			ok: tallies.every((t) => t.ok),
		};
	};
	const tally = sumTally(parts.map((m) => m.result.tally));
	const seconds = parts.reduce((total, m) => total + m.result.seconds, 0);
	const weighted = (pick: (m: Measured) => number | null) => {
		let total = 0;
		for (const m of parts) {
			const value = pick(m);
			if (value === null) return null;
			total += value * m.result.tally.received;
		}
		return total / Math.max(1, tally.received);
	};
	return {
		label: first.label,
		result: {
			tally,
			seconds,
			messagesPerSecond: tally.received / seconds,
			latencies: parts.flatMap((m) => m.result.latencies),
		},
		warm: sumTally(parts.map((m) => m.warm)),
		relayCpuUsPerMessage: weighted((m) => m.relayCpuUsPerMessage),
		clientCpuUsPerMessage: weighted((m) => m.clientCpuUsPerMessage) ?? 0,
		receipts: first.receipts === null ? null : parts.reduce((total, m) => total + (m.receipts ?? 0), 0),
	};
}

export async function run(options: BenchOptions): Promise<Row[]> {
	const p = profile(options.scale);
	const bodyChars = await realEnvelopeChars();
	const { pairs, messagesPerPair: messages, window, rounds } = p;
	console.log(
		`[1] relay throughput: ${rounds} round(s) of ${pairs} pairs × ${messages} messages, window ${window}, envelope ${bodyChars} chars`,
	);
	// All relays run at once (an idle relay costs no CPU) and are measured in alternating rounds, so a
	// change in this shared machine's load during the section hits every relay alike.
	const started: Relay[] = [];
	const start = async (kind: RelayKind, state: StateLocation) => {
		const relay = await startRelay(kind, state);
		started.push(relay);
		return relay;
	};
	const parts = new Map<string, Measured[]>();
	const idle: IdleLatency[] = [];
	try {
		const disk = await start("friendly", "disk");
		const tmpfs = await start("friendly", "tmpfs");
		const plain = await start("plain-do", "disk");
		const ws = await start("node-ws", "disk");
		// Idle first: nothing else runs on the relays meanwhile.
		idle.push(await idleLatency(disk, "friendly", "friendly", bodyChars));
		idle.push(await idleLatency(plain, "plain-do", "plain-do", bodyChars));
		const runs: [string, () => Promise<Measured>][] = [
			["friendly", () => opaqueRun(disk, "friendly", "friendly", pairs, messages, window, bodyChars)],
			["friendly e2e", () => e2eRun(disk, p.pairs, messages, window)],
			[
				"friendly tmpfs",
				() => opaqueRun(tmpfs, "friendly", "friendly tmpfs", pairs, messages, window, bodyChars),
			],
			["plain-do", () => opaqueRun(plain, "plain-do", "plain-do", pairs, messages, window, bodyChars)],
			["node-ws", () => opaqueRun(ws, "node-ws", "node-ws", pairs, messages, window, bodyChars)],
		];
		for (let round = 0; round < rounds; round++) {
			// Rotate the order each round.
			for (let i = 0; i < runs.length; i++) {
				const [label, go] = runs[(i + round) % runs.length] as [string, () => Promise<Measured>];
				const list = parts.get(label) ?? [];
				list.push(await go());
				parts.set(label, list);
			}
		}
	} finally {
		for (const relay of started) await relay.stop();
	}
	const pick = (label: string) => combine(parts.get(label) ?? []);
	const friendly = pick("friendly");
	const e2e = pick("friendly e2e");
	const friendlyTmpfs = pick("friendly tmpfs");
	const plainDo = pick("plain-do");
	const nodeWs = pick("node-ws");

	const rows: Row[] = [];
	const rate = (m: Measured) => m.result.messagesPerSecond;
	const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
	const friendlyVsDo = ratio(rate(friendly), rate(plainDo));
	rows.push({
		section: SECTION,
		name: "FriendLy relay throughput (opaque client)",
		value: rate(friendly),
		unit: "msg/s",
		baseline: rate(plainDo),
		baselineName: "plain DO relay",
		ratio: friendlyVsDo,
		target: ">= 0.7x plain DO",
		pass: friendlyVsDo >= 0.7,
		note: "relay state on disk, as npm start (issue 18 target; 0.5x before)",
	});
	const tmpfsVsDo = ratio(rate(friendlyTmpfs), rate(plainDo));
	rows.push({
		section: SECTION,
		name: "FriendLy relay, state on tmpfs (no fsync)",
		value: rate(friendlyTmpfs),
		unit: "msg/s",
		baseline: rate(plainDo),
		baselineName: "plain DO relay",
		ratio: tmpfsVsDo,
		target: ">= 0.5x plain DO",
		pass: tmpfsVsDo >= 0.5,
		note: "same relay, SQLite files on /dev/shm: isolates the CPU cost from this disk's fsync latency",
	});
	rows.push({
		section: SECTION,
		name: "FriendLy relay vs Node ws relay",
		value: rate(friendly),
		unit: "msg/s",
		baseline: rate(nodeWs),
		baselineName: "Node ws relay",
		ratio: ratio(rate(friendly), rate(nodeWs)),
	});
	rows.push({
		section: SECTION,
		name: "plain DO relay vs Node ws relay",
		value: rate(plainDo),
		unit: "msg/s",
		baseline: rate(nodeWs),
		baselineName: "Node ws relay",
		ratio: ratio(rate(plainDo), rate(nodeWs)),
	});
	rows.push({
		section: SECTION,
		name: "FriendLy end to end (Messenger, crypto on)",
		value: rate(e2e),
		unit: "msg/s",
		baseline: rate(plainDo),
		baselineName: "plain DO relay, opaque client",
		ratio: ratio(rate(e2e), rate(plainDo)),
		note: "the same pairs and window; the client's crypto runs on the same 2 cores as workerd (see docs/PERFORMANCE.md)",
	});
	for (const m of [e2e, friendly, friendlyTmpfs, plainDo, nodeWs]) {
		for (const q of [50, 95, 99]) {
			rows.push({
				section: SECTION,
				name: `latency p${q} ${m.label}`,
				value: percentile(m.result.latencies, q),
				unit: "ms",
				...(m !== plainDo
					? {
							baseline: percentile(plainDo.result.latencies, q),
							baselineName: "plain DO relay",
							ratio: ratio(percentile(m.result.latencies, q), percentile(plainDo.result.latencies, q)),
						}
					: {}),
			});
		}
	}
	for (const m of [e2e, friendly, friendlyTmpfs, plainDo, nodeWs]) {
		if (m.relayCpuUsPerMessage !== null)
			rows.push({
				section: SECTION,
				name: `relay CPU per message ${m.label}`,
				value: m.relayCpuUsPerMessage,
				unit: "µs",
				note: "all relay processes (wrangler + workerd, or node)",
			});
		rows.push({
			section: SECTION,
			name: `client CPU per message ${m.label}`,
			value: m.clientCpuUsPerMessage,
			unit: "µs",
			note: "bench process: both ends of every pair",
		});
	}
	const [idleFriendly, idlePlain] = idle;
	if (idleFriendly && idlePlain) {
		for (const q of [50, 99]) {
			const value = percentile(idleFriendly.latencies, q);
			const baseline = percentile(idlePlain.latencies, q);
			rows.push({
				section: SECTION,
				name: `idle latency p${q} friendly (${IDLE_MESSAGES} sequential)`,
				value,
				unit: "ms",
				baseline,
				baselineName: "plain DO relay, idle",
				ratio: ratio(value, baseline),
				target: "<= 1.5x plain DO",
				pass: ratio(value, baseline) <= 1.5,
			});
		}
		for (const m of idle) {
			const lost = m.tally.reduce((sum, t) => sum + t.missing + t.duplicates + t.unexpected, 0);
			rows.push({
				section: SECTION,
				name: `no loss/duplicate idle ${m.label}`,
				value: lost,
				unit: "lost+dup",
				target: "0",
				pass: m.tally.every((t) => t.ok),
				note: `${m.tally.reduce((sum, t) => sum + t.received, 0)} once`,
			});
		}
	}
	for (const m of [e2e, friendly, friendlyTmpfs, plainDo, nodeWs]) {
		const t = m.result.tally;
		const w = m.warm;
		rows.push({
			section: SECTION,
			name: `no loss/duplicate ${m.label}`,
			value: t.missing + t.duplicates + t.unexpected + w.missing + w.duplicates + w.unexpected,
			unit: "lost+dup",
			target: "0",
			pass: t.ok && w.ok,
			note: `${t.received}/${t.expected} once, ${t.sendErrors} send errors${m.receipts !== null ? `, ${m.receipts} receipts` : ""}`,
		});
	}
	return rows;
}
