// Section 5: idle connections. Resident memory of the local runtime (the workerd process under
// `wrangler dev`) with 1 and with N idle authenticated WebSockets (one phone each, so N objects), and
// proof that idle objects do no work: the CPU time workerd accrues over an idle interval, read from
// /proc/<pid>/stat, should be ~0 once the objects have hibernated (about 10 s after their last event).
// Keep-alive pings (`{"type":"ping"}`) are answered by the runtime's auto-response without waking the
// object; the CPU cost of one ping round over all sockets is reported too. The clients are raw
// WebSockets (hello, then silence), all on 127.0.0.1, all closed at the end. The relay runs with its
// usage meter on (USAGE_METER=log, worker/durable-objects/usage-meter.ts), so every event that reaches
// an object is seen: the direct proof of hibernation is that none does while the sockets are idle or
// are pinged. workerd's own CPU is reported beside it; it is not zero when idle (the runtime's periodic
// housekeeping: 10–40 ms every 10 s here, with no object event), so it is not the pass criterion.
import { RelayHttpClient } from "../protocol/client/index.ts";
import { type Account, inBatches, nextPhone, registerOpaque } from "./lib/harness.ts";
import { type BenchOptions, profile, type Row } from "./lib/options.ts";
import { groupCpuMs, type RelayProcess, workerdRssBytes } from "./lib/processes.ts";
import { startMeteredRelay } from "./lib/relays.ts";
import { UsageLog } from "./lib/usage-log.ts";

const SECTION = "5 idle";
/**
 * How long to wait before measuring idle: each new connection arms the object's alarm for the 10 s
 * hello deadline, which wakes the object once more; the object then hibernates about 10 s after that
 * last event. Measured here: idle CPU reaches 0 about 25 s after the last connection.
 */
const SETTLE_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface IdleClient {
	ws: WebSocket;
	pongs: number;
}

async function connect(relay: RelayProcess, account: Account): Promise<IdleClient> {
	const ws = new WebSocket(new RelayHttpClient(relay.url).connectUrl(account.phone));
	const client: IdleClient = { ws, pongs: 0 };
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`${account.phone}: no drained within 20 s`)), 20_000);
		ws.addEventListener("open", () =>
			ws.send(JSON.stringify({ type: "hello", protocol: 1, token: account.token })),
		);
		ws.addEventListener("message", (event) => {
			const text = String(event.data);
			if (text === '{"type":"pong"}') client.pongs += 1;
			else if (text.includes('"drained"')) {
				clearTimeout(timer);
				resolve();
			}
		});
		ws.addEventListener("close", (event) => {
			clearTimeout(timer);
			reject(new Error(`${account.phone}: closed ${event.code}`));
		});
	});
	return client;
}

const mib = (bytes: number | null) => (bytes === null ? Number.NaN : bytes / 2 ** 20);

export async function run(options: BenchOptions): Promise<Row[]> {
	const p = profile(options.scale);
	const n = p.idleConnections;
	const settleMs = SETTLE_MS;
	console.log(`[5] idle connections: 1 and ${n}, idle interval ${p.idleSeconds} s`);
	const usage = new UsageLog();
	const relay = await startMeteredRelay("friendly", usage.onLine, options.state);
	/** Events that reached any phone object since `mark` (requests and WebSocket messages). */
	const eventsSince = (mark: number) => {
		const { requests, webSocketMessages } = usage.since(mark);
		return requests + webSocketMessages;
	};
	const clients: IdleClient[] = [];
	const idleCpu = async () => {
		const before = groupCpuMs(relay);
		await sleep(p.idleSeconds * 1000);
		const after = groupCpuMs(relay);
		return before && after
			? { workerd: after.workerd - before.workerd, total: after.total - before.total }
			: { workerd: Number.NaN, total: Number.NaN };
	};
	try {
		const accounts = await inBatches(
			Array.from({ length: n }, () => nextPhone()),
			8,
			(phone) => registerOpaque(relay.url, phone),
		);
		clients.push(await connect(relay, accounts[0] as Account));
		// The objects touched by registration and the first connection hibernate meanwhile. `--quick`
		// skips this wait: its 1-connection figures are then taken before hibernation (RSS includes the
		// objects registration touched; the idle CPU baseline is not measured).
		if (!options.quick) await sleep(settleMs);
		const rss1 = workerdRssBytes(relay);
		const idle1 = options.quick ? { workerd: 0, total: 0 } : await idleCpu();
		const connectedAt = performance.now();
		clients.push(...(await inBatches(accounts.slice(1), 32, (account) => connect(relay, account))));
		const connectSeconds = (performance.now() - connectedAt) / 1000;
		const rssActive = workerdRssBytes(relay);
		await sleep(settleMs);
		const rssIdle = workerdRssBytes(relay);
		const beforeIdle = usage.mark();
		const idleN = await idleCpu();
		const idleEvents = eventsSince(beforeIdle);
		// One keep-alive round over every socket.
		const beforePings = usage.mark();
		const pingBefore = groupCpuMs(relay);
		for (const client of clients) client.ws.send('{"type":"ping"}');
		const deadline = Date.now() + 20_000;
		while (clients.some((c) => c.pongs < 1) && Date.now() < deadline) await sleep(20);
		const pingAfter = groupCpuMs(relay);
		// Usage lines are logged when an object goes idle again: give a woken one time to report.
		await sleep(1_000);
		const pingEvents = eventsSince(beforePings);
		const ponged = clients.filter((c) => c.pongs >= 1).length;
		const open = clients.filter((c) => c.ws.readyState === WebSocket.OPEN).length;
		const perConnectionKiB = ((mib(rssIdle) - mib(rss1)) * 1024) / Math.max(1, n - 1);
		console.log(
			`  workerd RSS: 1 conn ${mib(rss1).toFixed(1)} MiB, ${n} conns ${mib(rssActive).toFixed(1)} MiB just connected (${connectSeconds.toFixed(1)} s), ${mib(rssIdle).toFixed(1)} MiB idle; idle CPU workerd ${idle1.workerd} ms with 1, ${idleN.workerd} ms with ${n} over ${p.idleSeconds} s; pongs ${ponged}/${n}, open ${open}/${n}`,
		);
		const perSecond = (ms: number) => ms / p.idleSeconds;
		return [
			{
				section: SECTION,
				name: "workerd RSS, 1 idle connection",
				value: mib(rss1),
				unit: "MiB",
				note: "the local runtime with the relay loaded",
			},
			{
				section: SECTION,
				name: `workerd RSS, ${n} idle connections`,
				value: mib(rssIdle),
				unit: "MiB",
				baseline: mib(rss1),
				baselineName: "1 connection",
				ratio: mib(rssIdle) / mib(rss1),
				note: `${mib(rssActive).toFixed(1)} MiB right after connecting (${connectSeconds.toFixed(1)} s for ${n - 1}), ${settleMs / 1000} s later ${mib(rssIdle).toFixed(1)} MiB`,
			},
			{
				section: SECTION,
				name: "memory per idle connection",
				value: perConnectionKiB,
				unit: "KiB",
				note: "(RSS with N − RSS with 1) / (N − 1); the local runtime keeps freed pages, so this is an upper bound",
			},
			{
				section: SECTION,
				name: `object events while ${n} connections idle`,
				value: idleEvents,
				unit: "events",
				target: "0 (hibernated)",
				pass: idleEvents === 0,
				note: `events reaching any phone object over ${p.idleSeconds} s, counted by the usage meter`,
			},
			{
				section: SECTION,
				name: `workerd CPU while ${n} connections idle`,
				value: perSecond(idleN.workerd),
				unit: "ms/s",
				...(options.quick ? {} : { baseline: perSecond(idle1.workerd), baselineName: "1 connection idle" }),
				note: `${idleN.workerd} ms vs ${idle1.workerd} ms over ${p.idleSeconds} s (all relay processes ${idleN.total} vs ${idle1.total} ms); 10 ms clock ticks; the runtime's housekeeping, no object event`,
			},
			{
				section: SECTION,
				name: `keep-alive round (${n} pings)`,
				value:
					pingBefore && pingAfter
						? ((pingAfter.workerd - pingBefore.workerd) * 1000) / Math.max(1, ponged)
						: Number.NaN,
				unit: "µs/ping",
				note: `${ponged}/${n} auto-answered by the runtime, ${open}/${n} still open`,
			},
			{
				section: SECTION,
				name: `object events during the keep-alive round`,
				value: pingEvents,
				unit: "events",
				target: "0 (auto-response)",
				pass: pingEvents === 0,
				note: "pings answered by the runtime without waking an object",
			},
			{
				section: SECTION,
				name: "idle connections kept",
				value: n - open,
				unit: "lost+dup",
				target: "0",
				pass: open === n && ponged === n,
				note: `${open}/${n} open after the idle interval, ${ponged}/${n} answered a ping`,
			},
		];
	} finally {
		for (const client of clients) client.ws.close(1000, "bench done");
		await sleep(200);
		await relay.stop();
	}
}
