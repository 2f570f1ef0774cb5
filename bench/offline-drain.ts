// Section 2: offline drain. N messages wait in an offline recipient's mailbox on the real relay; the
// figure is the time from the recipient's client starting to every message received, decrypted,
// stored and acknowledged (Messenger.waitForDrain: the relay's `drained` frame has been handled after
// the last message and the batched acks have gone out). The relay is then asked how many entries the
// mailbox still holds (must be 0: every ack was applied).
//
// The relay allows one sender a burst of 60 messages per recipient, so the backlog is filled by
// ceil(N/55) senders, each with its own session (the drain therefore also performs that many X3DH
// responder handshakes, as a phone coming back to many chats would). The same backlog with opaque
// bodies (no client crypto) is drained too, so the relay's share and the client's share can be told
// apart. The mailbox cap is raised for the bench (MAILBOX_MAX_MESSAGES, see lib/relays.ts).
import {
	type Account,
	describeTally,
	type Endpoint,
	inBatches,
	MessengerEndpoint,
	nextPhone,
	OpaqueEndpoint,
	pendingAtRelay,
	randomBody,
	realEnvelopeChars,
	registerOpaque,
	Tracker,
} from "./lib/harness.ts";
import { type BenchOptions, profile, type Row } from "./lib/options.ts";
import { groupCpuMs, ownCpuMs, type RelayProcess } from "./lib/processes.ts";
import { startRelay } from "./lib/relays.ts";

const SECTION = "2 drain";
const PER_SENDER = 55;
const SENDERS_AT_ONCE = 16;

interface DrainResult {
	seconds: number;
	/** From the drain's end until the relay reported an empty mailbox. */
	verifySeconds: number;
	tracker: Tracker;
	pendingAfter: number;
	relayCpuMs: number | null;
	clientCpuMs: number;
}

async function drain(
	relay: RelayProcess,
	size: number,
	e2e: boolean,
	bodyChars: number,
): Promise<DrainResult> {
	const body = randomBody(bodyChars);
	const makeEndpoint = async (): Promise<{
		endpoint: Endpoint & { startChat?(p: string): Promise<void> };
		account: () => Promise<Account>;
	}> => {
		if (e2e) {
			const endpoint = await MessengerEndpoint.register(relay.url, nextPhone());
			return { endpoint, account: () => endpoint.account() };
		}
		const account = await registerOpaque(relay.url, nextPhone());
		return { endpoint: new OpaqueEndpoint(relay.url, account, body), account: async () => account };
	};
	const recipient = await makeEndpoint();
	const tracker = new Tracker();
	const senderCount = Math.ceil(size / PER_SENDER);
	const groups: number[][] = [];
	for (let first = 0; first < senderCount; first += SENDERS_AT_ONCE)
		groups.push(Array.from({ length: Math.min(SENDERS_AT_ONCE, senderCount - first) }, (_, i) => first + i));
	// Fill the mailbox while the recipient is offline (not timed).
	for (const group of groups) {
		const senders = await inBatches(group, 4, async () => (await makeEndpoint()).endpoint);
		await inBatches(senders, 8, async (sender) => {
			await sender.start();
			if (sender instanceof MessengerEndpoint) await sender.startChat(recipient.endpoint.phone);
		});
		await Promise.all(
			senders.map(async (sender, i) => {
				const index = group[i] ?? 0;
				const count = Math.min(PER_SENDER, size - index * PER_SENDER);
				let next = 0;
				const lanes = Array.from({ length: 8 }, async () => {
					while (next < count) {
						const tag = `d${index}n${next++}`;
						tracker.expect(sender.phone, tag);
						const result = await sender.send(recipient.endpoint.phone, tag);
						if (!result.ok) tracker.sendFailed(sender.phone, tag, result.code);
					}
				});
				await Promise.all(lanes);
			}),
		);
		for (const sender of senders) sender.stop();
	}
	recipient.endpoint.onMessage = (from, tag) => tracker.received(from, tag);
	const relayBefore = groupCpuMs(relay);
	const clientBefore = ownCpuMs();
	const started = performance.now();
	await recipient.endpoint.start();
	const seconds = (performance.now() - started) / 1000;
	const clientCpuMs = ownCpuMs() - clientBefore;
	const relayAfter = groupCpuMs(relay);
	recipient.endpoint.stop();
	// The acks went out before `drained` was handled; the relay applies them in order (and then hands
	// the receipts to every sender's object). Ask it until the mailbox is empty (bounded).
	const account = await recipient.account();
	let pendingAfter = -1;
	const verifyStarted = performance.now();
	while (performance.now() - verifyStarted < 60_000) {
		try {
			pendingAfter = await pendingAtRelay(relay.url, account);
			if (pendingAfter === 0) break;
		} catch (error) {
			console.log(`  (mailbox check: ${error instanceof Error ? error.message : String(error)})`);
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	const verifySeconds = (performance.now() - verifyStarted) / 1000;
	return {
		seconds,
		verifySeconds,
		tracker,
		pendingAfter,
		relayCpuMs: relayBefore && relayAfter ? relayAfter.total - relayBefore.total : null,
		clientCpuMs,
	};
}

export async function run(options: BenchOptions): Promise<Row[]> {
	const p = profile(options.scale);
	const bodyChars = await realEnvelopeChars();
	const rows: Row[] = [];
	for (const size of p.drainSizes) {
		console.log(`[2] offline drain of ${size.toLocaleString("en-US")} messages (e2e and opaque)`);
		const relay = await startRelay("friendly", options.state);
		try {
			const e2e = await drain(relay, size, true, bodyChars);
			const opaque = await drain(relay, size, false, bodyChars);
			for (const [label, result] of [
				["e2e", e2e],
				["opaque", opaque],
			] as const) {
				const tally = result.tracker.tally();
				console.log(describeTally(`drain ${size} ${label}`, tally));
				console.log(
					`  drain ${size} ${label}: ${result.seconds.toFixed(2)} s, mailbox after: ${result.pendingAfter} (confirmed ${result.verifySeconds.toFixed(1)} s later), client CPU ${result.clientCpuMs.toFixed(0)} ms, relay CPU ${result.relayCpuMs?.toFixed(0) ?? "n/a"} ms`,
				);
				const ok = tally.ok && result.pendingAfter === 0 && tally.sendErrors === 0;
				rows.push({
					section: SECTION,
					name: `drain ${size.toLocaleString("en-US")} ${label === "e2e" ? "(receive, decrypt, ack)" : "(opaque client)"}`,
					value: result.seconds * 1000,
					unit: "ms",
					...(label === "e2e"
						? {
								baseline: opaque.seconds * 1000,
								baselineName: "same backlog, opaque client",
								ratio: result.seconds / opaque.seconds,
							}
						: {}),
					...(size === 1000 && label === "e2e" ? { target: "< 2000 ms", pass: result.seconds < 2 } : {}),
					note: `${(size / result.seconds).toFixed(0)} msg/s; client CPU ${result.clientCpuMs.toFixed(0)} ms, relay CPU ${result.relayCpuMs?.toFixed(0) ?? "n/a"} ms; ${Math.ceil(size / PER_SENDER)} senders; mailbox empty confirmed ${result.verifySeconds.toFixed(1)} s after`,
				});
				rows.push({
					section: SECTION,
					name: `no loss/duplicate drain ${size} ${label}`,
					value: tally.missing + tally.duplicates + tally.unexpected + (result.pendingAfter === 0 ? 0 : 1),
					unit: "lost+dup",
					target: "0",
					pass: ok,
					note: `${tally.received}/${tally.expected} once, ${tally.sendErrors} send errors, ${result.pendingAfter} left in mailbox`,
				});
			}
		} finally {
			await relay.stop();
		}
	}
	return rows;
}
