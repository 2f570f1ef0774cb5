// Where the relay's CPU goes: `npx tsx bench/profile-relay.ts [friendly|plain-do] [pairs] [messages] [hot]`.
// Starts the relay under `wrangler dev` with a fixed V8 inspector port, drives the same opaque pair
// traffic as section 1 of `npm run bench`, records a CPU profile of the Worker's isolate (which runs
// every Durable Object) through the DevTools protocol, and prints the functions with the most self
// time, grouped by source file. With `hot`, every sender sends to one recipient (section 3's shape). The raw profile goes to bench-results/<kind>-<time>.cpuprofile
// (open it in Chrome DevTools). Used to find what limits the relay; not part of `npm run bench`.
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { WebSocket as NodeWebSocket } from "ws";
import {
	drive,
	type Endpoint,
	type Flow,
	inBatches,
	nextPhone,
	OpaqueEndpoint,
	randomBody,
	realEnvelopeChars,
	registerOpaque,
	startAll,
	stopAll,
} from "./lib/harness.ts";
import { freePort, groupCpuMs, ROOT } from "./lib/processes.ts";
import { type RelayKind, startRelay } from "./lib/relays.ts";

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}
interface Profile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
	startTime: number;
	endTime: number;
}

class Inspector {
	private nextId = 1;
	private readonly waiting = new Map<number, (result: unknown) => void>();
	private constructor(private readonly ws: NodeWebSocket) {
		ws.on("message", (data) => {
			const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
			if (message.id !== undefined) this.waiting.get(message.id)?.(message.result);
		});
	}
	static async open(port: number): Promise<Inspector> {
		const deadline = Date.now() + 20_000;
		for (;;) {
			try {
				const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as {
					webSocketDebuggerUrl?: string;
					title?: string;
				}[];
				const target = targets.find((t) => t.webSocketDebuggerUrl);
				if (target?.webSocketDebuggerUrl) {
					const ws = new NodeWebSocket(target.webSocketDebuggerUrl);
					await new Promise((done, fail) => {
						ws.once("open", done);
						ws.once("error", fail);
					});
					return new Inspector(ws);
				}
			} catch {
				// Not up yet.
			}
			if (Date.now() > deadline) throw new Error(`no inspector target on port ${port}`);
			await new Promise((done) => setTimeout(done, 250));
		}
	}
	call<T>(method: string, params: object = {}): Promise<T> {
		const id = this.nextId++;
		return new Promise<T>((done) => {
			this.waiting.set(id, (result) => done(result as T));
			this.ws.send(JSON.stringify({ id, method, params }));
		});
	}
	close(): void {
		this.ws.close();
	}
}

function summarise(profile: Profile): string {
	const selfMs = new Map<number, number>();
	for (let i = 0; i < profile.samples.length; i++) {
		const node = profile.samples[i] as number;
		selfMs.set(node, (selfMs.get(node) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
	}
	const byFunction = new Map<string, number>();
	const byFile = new Map<string, number>();
	let total = 0;
	for (const node of profile.nodes) {
		const ms = selfMs.get(node.id) ?? 0;
		total += ms;
		const file = node.callFrame.url.split("/").slice(-2).join("/") || "(native)";
		const name = `${node.callFrame.functionName || "(anonymous)"} ${file}:${node.callFrame.lineNumber + 1}`;
		byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
		byFile.set(file, (byFile.get(file) ?? 0) + ms);
	}
	const top = (map: Map<string, number>, n: number) =>
		[...map.entries()]
			.sort((a, b) => b[1] - a[1])
			.slice(0, n)
			.map(
				([name, ms]) =>
					`  ${ms.toFixed(0).padStart(7)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${name}`,
			)
			.join("\n");
	return `isolate samples: ${total.toFixed(0)} ms\nby function (self):\n${top(byFunction, 30)}\nby file (self):\n${top(byFile, 12)}`;
}

const kind = (process.argv[2] ?? "friendly") as RelayKind;
const pairs = Number(process.argv[3] ?? 40);
const messages = Number(process.argv[4] ?? 55);
const hot = process.argv[5] === "hot";
const inspectorPort = await freePort();
const relay = await startRelay(kind, "tmpfs", inspectorPort);
const endpoints: OpaqueEndpoint[] = [];
try {
	const body = randomBody(await realEnvelopeChars());
	const phones = Array.from({ length: pairs * 2 }, () => nextPhone());
	const accounts =
		kind === "friendly"
			? await inBatches(phones, 8, (phone) => registerOpaque(relay.url, phone))
			: phones.map((phone) => ({ phone, token: `${phone.slice(1)}.bench` }));
	for (const account of accounts) endpoints.push(new OpaqueEndpoint(relay.url, account, body));
	await startAll(endpoints);
	const flows: Flow[] = [];
	for (let i = 0; i < pairs; i++)
		flows.push({
			sender: endpoints[2 * i] as Endpoint,
			recipient: endpoints[hot ? 1 : 2 * i + 1] as Endpoint,
		});
	await drive(flows, { messages: 1, window: 1, prefix: "w" });
	const inspector = await Inspector.open(inspectorPort);
	await inspector.call("Profiler.enable");
	await inspector.call("Profiler.setSamplingInterval", { interval: 200 });
	await inspector.call("Profiler.start");
	const before = groupCpuMs(relay);
	const result = await drive(flows, { messages, window: 8, prefix: "m" });
	const after = groupCpuMs(relay);
	const { profile } = await inspector.call<{ profile: Profile }>("Profiler.stop");
	inspector.close();
	console.log(
		`${kind}: ${result.tally.received}/${result.tally.expected} messages, ${result.messagesPerSecond.toFixed(0)} msg/s, relay CPU ${before && after ? (after.total - before.total).toFixed(0) : "n/a"} ms (workerd ${before && after ? (after.workerd - before.workerd).toFixed(0) : "n/a"} ms)`,
	);
	console.log(summarise(profile));
	const out = resolve(ROOT, "bench-results");
	mkdirSync(out, { recursive: true });
	const file = resolve(out, `${kind}-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
	writeFileSync(file, JSON.stringify(profile));
	console.log(`written ${file}`);
} finally {
	stopAll(endpoints);
	await relay.stop();
}
