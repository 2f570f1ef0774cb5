// Section 3: hot recipient. Many senders to one phone, i.e. one Durable Object that every message
// passes through (each send is one `deliver` RPC request to it, plus the recipient's acks and the
// receipts it hands back). The offered rate steps up (open loop, spread over fresh senders, each within
// the relay's per-pair burst of 60); each step reports the achieved rate, latency and errors. The
// figure is the highest offered rate the object sustained: every message delivered once, no send
// refused, achieved ≥ 90% of offered and p99 latency under 1 s. Cloudflare's published soft limit is
// ~1,000 requests/s per object; locally nothing enforces it, and every object of the Worker runs in one
// isolate thread, so the figure is where this machine's workerd saturates (senders' objects included). Opaque bodies: the client does no crypto, so the one
// recipient client is not the bottleneck.
import {
	describeTally,
	drive,
	type Endpoint,
	type Flow,
	inBatches,
	nextPhone,
	OpaqueEndpoint,
	percentile,
	randomBody,
	realEnvelopeChars,
	registerOpaque,
	startAll,
	stopAll,
} from "./lib/harness.ts";
import { type BenchOptions, profile, type Row } from "./lib/options.ts";
import { groupCpuMs } from "./lib/processes.ts";
import { startRelay } from "./lib/relays.ts";

const SECTION = "3 hot";
const PER_SENDER = 50;
const PLATFORM_SOFT_LIMIT = 1000;

export async function run(options: BenchOptions): Promise<Row[]> {
	const p = profile(options.scale);
	const body = randomBody(await realEnvelopeChars());
	const rows: Row[] = [];
	console.log(`[3] hot recipient: offered ${p.hotRates.join(", ")} msg/s for ${p.hotSeconds} s each`);
	const relay = await startRelay("friendly", options.state);
	let sustained = 0;
	let best = 0;
	try {
		const recipient = new OpaqueEndpoint(relay.url, await registerOpaque(relay.url, nextPhone()), body);
		await recipient.start();
		for (const rate of p.hotRates) {
			const total = Math.round(rate * p.hotSeconds);
			const senderCount = Math.max(1, Math.ceil(total / PER_SENDER));
			const perSender = Math.ceil(total / senderCount);
			const accounts = await inBatches(
				Array.from({ length: senderCount }, () => nextPhone()),
				8,
				(phone) => registerOpaque(relay.url, phone),
			);
			const senders = accounts.map((account) => new OpaqueEndpoint(relay.url, account, body));
			const flows: Flow[] = senders.map((sender) => ({ sender, recipient: recipient as Endpoint }));
			try {
				await startAll(senders);
				const before = groupCpuMs(relay);
				const result = await drive(flows, {
					messages: perSender,
					window: 1,
					ratePerSecond: rate,
					prefix: `h${rate}`,
				});
				const after = groupCpuMs(relay);
				const tally = result.tally;
				console.log(describeTally(`hot ${rate}/s`, tally));
				const p99 = percentile(result.latencies, 99);
				const ok = tally.ok && tally.sendErrors === 0 && result.messagesPerSecond >= 0.9 * rate && p99 < 1000;
				if (ok) sustained = Math.max(sustained, rate);
				best = Math.max(best, result.messagesPerSecond);
				rows.push({
					section: SECTION,
					name: `offered ${rate} msg/s → achieved`,
					value: result.messagesPerSecond,
					unit: "msg/s",
					note: `${senderCount} senders × ${perSender}; p50 ${percentile(result.latencies, 50).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms; ${tally.sendErrors} refused; relay CPU ${before && after ? (((after.total - before.total) * 1000) / Math.max(1, tally.received)).toFixed(0) : "n/a"} µs/msg${ok ? "" : " (not sustained)"}`,
				});
				rows.push({
					section: SECTION,
					name: `no loss/duplicate hot ${rate}/s`,
					value: tally.missing + tally.duplicates + tally.unexpected,
					unit: "lost+dup",
					target: "0",
					pass: tally.ok,
					note: `${tally.received}/${tally.expected} once, ${tally.sendErrors} send errors ${JSON.stringify(tally.errorCodes)}`,
				});
			} finally {
				stopAll(senders);
			}
		}
		recipient.stop();
	} finally {
		await relay.stop();
	}
	rows.unshift({
		section: SECTION,
		name: "sustained into one object (no errors)",
		value: sustained,
		unit: "msg/s",
		baseline: PLATFORM_SOFT_LIMIT,
		baselineName: "platform soft limit (req/s)",
		ratio: sustained / PLATFORM_SOFT_LIMIT,
		note: `highest step with all delivered, none refused, ≥90% achieved, p99 < 1 s; best achieved ${best.toFixed(0)} msg/s`,
	});
	return rows;
}
