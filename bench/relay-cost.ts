// Section 8: what a relayed message costs on Cloudflare (issue 18 §2, docs/PERFORMANCE.md §Cost model),
// counted inside the real relay rather than from the code: the FriendLy relay and the plain DO relay run
// with USAGE_METER=log, so every Durable Object logs what it is billed for (rows written and read by
// workerd's own counters, requests, incoming WebSocket messages, alarms set, active wall time) each time
// it goes idle (worker/durable-objects/usage-meter.ts). Each scenario drives opaque clients (the real
// transport, acking like the CLI and the web app) over fresh phones and sums the lines its traffic
// caused, from the first send until every object is idle again; registration and, for the online
// scenarios, the connections' own costs (their seq block, hello-deadline alarm) fall outside the count.
//
//   online, sparse     both ends connected; each message alone (sent, receipt, a pause)
//   online, busy       both ends connected; 30 messages at once per pair (batched calls)
//   offline, sender connected at the drain    20 messages from each of 4 senders wait in a mailbox;
//                      the recipient connects, drains and acks, the receipts reach the connected senders
//   offline, both away the same, but the senders went offline after sending: their receipts are stored
//                      and picked up when they reconnect (that connection counted too)
//
// Prices: Workers Paid, marginal beyond the monthly allowances (/work/shared/PLATFORM.md). An alarm set
// is counted as a row written (the conservative reading: alarms live in the object's storage). Locally
// the clients' round trip is ~0 ms, so the duration of the holds (the relay waits for a client's ack
// instead of writing a row) is measured short; the "+50 ms round trip" rows add what three 50 ms waits per
// live message would cost (both objects during the deliver call, the sender's during the receipt's).
import type { Usage } from "../worker/durable-objects/usage-line.ts";
import {
	type Account,
	attach,
	describeTally,
	freshAccounts,
	inBatches,
	OpaqueEndpoint,
	randomBody,
	realEnvelopeChars,
	stopAll,
	Tracker,
} from "./lib/harness.ts";
import { type BenchOptions, IntegrityError, type Row } from "./lib/options.ts";
import type { RelayProcess } from "./lib/processes.ts";
import { startMeteredRelay } from "./lib/relays.ts";
import { UsageLog } from "./lib/usage-log.ts";

const SECTION = "8 cost";
const PRICE = {
	rowWritten: 1.0,
	rowRead: 0.001,
	doRequest: 0.15,
	workerRequest: 0.3,
	gbSecond: 12.5,
} as const; // dollars per million
const OBJECT_GB = 0.128;
/** The phone object's hello deadline (worker/phone/socket-attachment.ts): its alarm fires this long after a connection. */
const HELLO_ALARM_MS = 10_000;
const MODEL_ROUND_TRIP_S = 0.05;

interface Measured {
	name: string;
	messages: number;
	/** Worker requests (WebSocket upgrades) in the window. */
	connections: number;
	usage: Usage;
	/** Messages the relay delivered live (the holds the round-trip model prices). */
	live: number;
}

interface Cost {
	rowsPerMessage: number;
	requestsPerMessage: number;
	dollarsPerMillion: number;
	withRoundTrip: number;
}

function costOf(m: Measured): Cost {
	const rows = m.usage.rowsWritten + m.usage.alarmsSet;
	const doRequests = m.usage.requests + m.usage.webSocketMessages / 20;
	const gbSeconds = (m.usage.activeMs / 1000) * OBJECT_GB;
	const dollars =
		rows * PRICE.rowWritten +
		m.usage.rowsRead * PRICE.rowRead +
		doRequests * PRICE.doRequest +
		m.connections * PRICE.workerRequest +
		gbSeconds * PRICE.gbSecond;
	const roundTrips = m.live * 3 * MODEL_ROUND_TRIP_S * OBJECT_GB * PRICE.gbSecond;
	return {
		rowsPerMessage: rows / m.messages,
		requestsPerMessage: doRequests / m.messages,
		dollarsPerMillion: dollars / m.messages,
		withRoundTrip: (dollars + roundTrips) / m.messages,
	};
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
	const deadline = Date.now() + ms;
	while (!condition()) {
		if (Date.now() > deadline)
			throw new IntegrityError(`cost section: ${what} did not happen within ${ms} ms`);
		await sleep(20);
	}
}

interface Relay {
	kind: "friendly" | "plain-do";
	process: RelayProcess;
	log: UsageLog;
}

function accounts(relay: Relay, count: number): Promise<Account[]> {
	return freshAccounts(relay.process.url, relay.kind === "friendly", count);
}

/** Sends every message of `pairs`, checking each arrives once; `sparse` sends one at a time with pauses. */
async function online(
	relay: Relay,
	name: string,
	pairs: number,
	perPair: number,
	body: string,
	sparse: boolean,
): Promise<Measured> {
	const accountList = await accounts(relay, pairs * 2);
	const endpoints = accountList.map((account) => new OpaqueEndpoint(relay.process.url, account, body));
	const tracker = new Tracker();
	attach(tracker, endpoints);
	await inBatches(endpoints, 8, (endpoint) => endpoint.start());
	// The connections' hello-deadline alarms fire, then nothing moves: the count starts clean.
	await sleep(HELLO_ALARM_MS + 500);
	await relay.log.quiet();
	const mark = relay.log.mark();
	const receipts = relay.kind === "friendly";
	await Promise.all(
		Array.from({ length: pairs }, async (_, pair) => {
			const sender = endpoints[pair * 2] as OpaqueEndpoint;
			const recipient = endpoints[pair * 2 + 1] as OpaqueEndpoint;
			const send = async (index: number) => {
				const tag = `${name.replaceAll(" ", "-")}-${pair}-${index}`;
				tracker.expect(sender.phone, tag);
				const result = await sender.send(recipient.phone, tag);
				if (!result.ok) throw new IntegrityError(`cost section: ${tag} refused (${result.code})`);
				await until(() => tracker.arrived(sender.phone, tag), `${tag} arriving`);
			};
			if (sparse) {
				for (let index = 0; index < perPair; index++) {
					await send(index);
					if (receipts) await until(() => sender.receipts >= index + 1, "a receipt");
					await sleep(150);
				}
			} else {
				await Promise.all(Array.from({ length: perPair }, (_, index) => send(index)));
				if (receipts) await until(() => sender.receipts >= perPair, "the receipts");
			}
		}),
	);
	await relay.log.quiet();
	const usage = relay.log.since(mark);
	stopAll(endpoints);
	checkOnce(tracker, name);
	return { name, messages: pairs * perPair, connections: 0, usage, live: pairs * perPair };
}

/** Messages wait in mailboxes; the recipients come back and drain them; receipts go back to the senders. */
async function offline(
	relay: Relay,
	name: string,
	recipients: number,
	sendersEach: number,
	perSender: number,
	body: string,
	sendersAway: boolean,
): Promise<Measured> {
	const url = relay.process.url;
	const recipientAccounts = await accounts(relay, recipients);
	const senderAccounts = await accounts(relay, recipients * sendersEach);
	const senders = senderAccounts.map((account) => new OpaqueEndpoint(url, account, body));
	await inBatches(senders, 8, (sender) => sender.start());
	await sleep(HELLO_ALARM_MS + 500);
	await relay.log.quiet();
	const mark = relay.log.mark();
	let connections = 0;
	const tracker = new Tracker();
	await Promise.all(
		senders.map(async (sender, index) => {
			const to = recipientAccounts[Math.floor(index / sendersEach)] as Account;
			for (let n = 0; n < perSender; n++) {
				const tag = `${name.replaceAll(" ", "-")}-${index}-${n}`;
				tracker.expect(sender.phone, tag);
				const result = await sender.send(to.phone, tag);
				if (!result.ok) throw new IntegrityError(`cost section: a send was refused (${result.code})`);
			}
		}),
	);
	if (sendersAway) stopAll(senders);
	const drainers = recipientAccounts.map((account) => new OpaqueEndpoint(url, account, body));
	attach(tracker, drainers);
	await inBatches(drainers, 8, (drainer) => drainer.start());
	connections += drainers.length;
	const total = recipients * sendersEach * perSender;
	await until(() => tracker.uniqueCount === total, "every backlog drained");
	let receiptHolders = senders;
	if (sendersAway) {
		// The drain's acks sent every receipt to a sender who is away: stored. The senders come back.
		await relay.log.quiet();
		receiptHolders = senderAccounts.map((account) => new OpaqueEndpoint(url, account, body));
		await inBatches(receiptHolders, 8, (sender) => sender.start());
		connections += receiptHolders.length;
	}
	await until(() => receiptHolders.every((sender) => sender.receipts >= perSender), "every receipt");
	// The new connections' hello-deadline alarms belong to this traffic.
	await sleep(HELLO_ALARM_MS + 500);
	await relay.log.quiet();
	const usage = relay.log.since(mark);
	stopAll(drainers);
	stopAll(receiptHolders);
	if (!sendersAway) stopAll(senders);
	checkOnce(tracker, name);
	return { name, messages: total, connections, usage, live: 0 };
}

/** Every expected message arrived exactly once, none unexpected (the harness's tally). */
function checkOnce(tracker: Tracker, name: string): void {
	const tally = tracker.tally();
	if (!tally.ok) throw new IntegrityError(describeTally(`cost section ${name}`, tally));
}

async function withRelay<T>(kind: Relay["kind"], work: (relay: Relay) => Promise<T>): Promise<T> {
	const log = new UsageLog();
	const process = await startMeteredRelay(kind, log.onLine);
	try {
		return await work({ kind, process, log });
	} catch (error) {
		console.log(
			process
				.output()
				.split("\n")
				.filter((l) => !l.includes("getaddrinfo") && !/^\s+at /.test(l))
				.slice(-40)
				.join("\n"),
		);
		throw error;
	} finally {
		await process.stop();
	}
}

export async function run(options: BenchOptions): Promise<Row[]> {
	const pairs = options.quick ? 4 : 10;
	const recipients = options.quick ? 2 : 4;
	const body = randomBody(await realEnvelopeChars());
	console.log(`[8] cost per relayed message: usage counted inside each relay's objects (USAGE_METER=log)`);

	const plain = await withRelay("plain-do", async (relay) => ({
		sparse: await online(relay, "plain sparse", pairs, 10, body, true),
		busy: await online(relay, "plain busy", pairs, 30, body, false),
	}));
	const friendly = await withRelay("friendly", async (relay) => ({
		sparse: await online(relay, "online sparse", pairs, 10, body, true),
		busy: await online(relay, "online busy", pairs, 30, body, false),
		offline: await offline(relay, "offline", recipients, 4, 20, body, false),
		away: await offline(relay, "offline away", recipients, 4, 20, body, true),
	}));

	const rows: Row[] = [];
	const line = (m: Measured, cost: Cost) =>
		console.log(
			`  ${m.name}: ${m.messages} messages, ${m.connections} connections; rows written ${m.usage.rowsWritten} + alarms ${m.usage.alarmsSet}, ` +
				`DO requests ${m.usage.requests} + ${m.usage.webSocketMessages} WebSocket messages, active ${(m.usage.activeMs / 1000).toFixed(1)} s ` +
				`→ ${cost.rowsPerMessage.toFixed(2)} rows, ${cost.requestsPerMessage.toFixed(2)} requests, $${cost.dollarsPerMillion.toFixed(2)} per million`,
		);
	const compare = (
		label: string,
		m: Measured,
		baseline: Measured | null,
		target: number | null,
		roundTrip: boolean,
	) => {
		const cost = costOf(m);
		const value = roundTrip ? cost.withRoundTrip : cost.dollarsPerMillion;
		const base = baseline ? costOf(baseline) : null;
		const baseValue = base ? (roundTrip ? base.withRoundTrip : base.dollarsPerMillion) : undefined;
		rows.push({
			section: SECTION,
			name: label,
			value,
			unit: "$/M",
			...(baseValue !== undefined
				? { baseline: baseValue, baselineName: "plain DO relay", ratio: value / baseValue }
				: {}),
			...(target !== null ? { target: `<= $${target.toFixed(2)} per million`, pass: value <= target } : {}),
			note: `${cost.rowsPerMessage.toFixed(2)} rows written, ${cost.requestsPerMessage.toFixed(2)} DO requests per message`,
		});
	};
	for (const m of [plain.sparse, plain.busy, friendly.sparse, friendly.busy, friendly.offline, friendly.away])
		line(m, costOf(m));
	compare("online, sparse (each message alone), loopback", friendly.sparse, plain.sparse, null, false);
	compare("online, sparse, +50 ms client round trip (model)", friendly.sparse, plain.sparse, 1, true);
	compare("online, busy pairs (30 at once), +50 ms round trip", friendly.busy, plain.busy, 1, true);
	compare("offline, sender connected at the drain", friendly.offline, null, 3, false);
	compare("offline, sender away too (receipts stored)", friendly.away, null, 3, false);
	for (const [label, m] of [
		["rows written per message, online sparse", friendly.sparse],
		["rows written per message, online busy", friendly.busy],
		["rows written per message, offline", friendly.offline],
		["rows written per message, offline, sender away", friendly.away],
	] as const) {
		rows.push({ section: SECTION, name: label, value: costOf(m).rowsPerMessage, unit: "rows" });
	}
	// Each scenario threw IntegrityError had a message been lost or arrived twice, or a receipt been missing.
	const all = [plain.sparse, plain.busy, friendly.sparse, friendly.busy, friendly.offline, friendly.away];
	rows.push({
		section: SECTION,
		name: "no loss/duplicate cost scenarios",
		value: 0,
		unit: "lost+dup",
		target: "0",
		pass: true,
		note: `${all.reduce((sum, m) => sum + m.messages, 0)} messages received once, every receipt arrived`,
	});
	return rows;
}
