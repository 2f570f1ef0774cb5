// The client harness shared by the relay sections of `npm run bench`. One harness drives every relay
// (FriendLy's, the plain Durable Object baseline, the plain Node `ws` baseline) through the real client
// transport, protocol/client's RelayConnection (hello, ordered handling, ack after the handler, batched
// acks), so relay is compared with relay under the same client work. Two kinds of endpoint:
//
//   opaque    RelayConnection with a random body of a real envelope's size: no crypto in the client,
//             so the relay is what is measured (baselines have no key directory, so only this kind
//             runs against them).
//   e2e       the shared Messenger (protocol/messenger) on in-memory stores: encrypt, sign, send,
//             verify, decrypt, store, ack: the full client stack of the CLI and web app.
//
// Every run tallies each message tag: received exactly once, none missing, none unexpected; the
// sections fail (non-zero exit) on any loss or duplicate. Everything is bounded by deadlines.
import { RelayConnection, RelayHttpClient } from "../../protocol/client/index.ts";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import {
	completeRegistration,
	createMemoryMessengerStores,
	Messenger,
	requestVerificationCode,
} from "../../protocol/messenger/index.ts";
import {
	createLocalIdentity,
	createMemoryStores,
	createProtocolContext,
	decryptMessage,
	encryptMessage,
	generateSignedPrekey,
	manualClock,
	publicIdentity,
} from "../../protocol/session/index.ts";
import { PROTOCOL_VERSION, parseJson, requireE164, ServerFrame } from "../../protocol/wire/index.ts";
import { makeIdentity } from "../../test/support/test-identity.ts";

/** The text every benchmark message carries (a typical chat line). */
export const TEXT_CHARS = 100;

let phoneCounter = 0;
/** A fresh, valid, never-reused (within this run) North American number. */
export function nextPhone(): string {
	phoneCounter += 1;
	return `+1555${String(2_000_000 + phoneCounter).padStart(7, "0")}`;
}

export interface Account {
	phone: string;
	token: string;
}

/** Registration for opaque endpoints: identity keys only, no prekeys (nobody fetches a bundle). */
export async function registerOpaque(url: string, phone: string): Promise<Account> {
	const http = new RelayHttpClient(url);
	const requested = await http.requestCode(phone);
	if (!requested.code) throw new Error("the bench relay must use echo delivery");
	const identity = await makeIdentity();
	const registered = await http.confirmCode(phone, requested.code, identity.publicKeys);
	return { phone: registered.phone, token: registered.token };
}

/**
 * `count` fresh accounts: registered on the FriendLy relay; made up for the baselines, which check no
 * token (the phone in the connect URL is the whole identity there).
 */
export async function freshAccounts(url: string, registered: boolean, count: number): Promise<Account[]> {
	const phones = Array.from({ length: count }, () => nextPhone());
	return registered
		? inBatches(phones, 8, (phone) => registerOpaque(url, phone))
		: phones.map((phone) => ({ phone, token: `${phone.slice(1)}.bench` }));
}

/** Runs `task` over `items` with at most `limit` at once. */
export async function inBatches<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>) {
	const results: R[] = new Array(items.length);
	let next = 0;
	const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
		while (next < items.length) {
			const index = next++;
			results[index] = await task(items[index] as T);
		}
	});
	await Promise.all(lanes);
	return results;
}

/** Base64url characters of a real steady-state envelope carrying TEXT_CHARS characters. */
export async function realEnvelopeChars(): Promise<number> {
	const clock = manualClock(Date.UTC(2026, 0, 1));
	const make = async (phone: string) => {
		const stores = createMemoryStores();
		const identity = await createLocalIdentity({ extractable: false });
		await stores.identities.storeLocalIdentity(identity);
		return { phone, stores, identity, context: createProtocolContext({ phone, stores, clock }) };
	};
	const a = await make("+15555550101");
	const b = await make("+15555550102");
	const spk = await generateSignedPrekey(b.identity, 1, clock.now());
	await b.stores.prekeys.storeSignedPrekey(spk.record);
	const bundle = {
		phone: requireE164(b.phone),
		identity: publicIdentity(b.identity),
		signedPrekey: spk.wire,
	};
	const plaintext = new TextEncoder().encode("x".repeat(TEXT_CHARS));
	const first = await encryptMessage(a.context, {
		to: b.phone,
		id: "m1",
		plaintext,
		fetchBundle: async () => bundle,
	});
	await decryptMessage(b.context, { from: a.phone, id: "m1", body: first });
	const reply = await encryptMessage(b.context, { to: a.phone, id: "m2", plaintext });
	await decryptMessage(a.context, { from: b.phone, id: "m2", body: reply });
	const steady = await encryptMessage(a.context, { to: b.phone, id: "m3", plaintext });
	return steady.length;
}

/** Random bytes in canonical base64url, as close to `chars` characters as whole bytes allow. */
export function randomBody(chars: number): string {
	const bytes = new Uint8Array(Math.floor((chars * 3) / 4));
	crypto.getRandomValues(bytes);
	return encodeBase64Url(bytes);
}

// ── Endpoints ─────────────────────────────────────────────────────────────────────────────────

export interface SendResult {
	ok: boolean;
	code?: string;
}

export interface Endpoint {
	readonly phone: string;
	/** Connects; resolves once online and the backlog present at connect time is handled and acked. */
	start(): Promise<void>;
	send(to: string, tag: string): Promise<SendResult>;
	stop(): void;
	/** Set by the harness: called once per received message with its tag. */
	onMessage: (from: string, tag: string) => void;
	/** Receipts seen (FriendLy relay only). */
	receipts: number;
}

const CONNECT_TIMEOUT_MS = 30_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class OpaqueEndpoint implements Endpoint {
	onMessage: (from: string, tag: string) => void = () => {};
	receipts = 0;
	/** Connections lost after start (each one redelivers unacknowledged entries). */
	disconnects = 0;
	readonly disconnectReasons: string[] = [];
	private readonly connection: RelayConnection;
	private drained: (() => void) | null = null;
	private failed: ((error: Error) => void) | null = null;

	constructor(
		url: string,
		readonly account: Account,
		private readonly body: string,
	) {
		this.connection = new RelayConnection({
			url: new RelayHttpClient(url).connectUrl(account.phone),
			token: account.token,
			sendTimeoutMs: 60_000,
			handlers: {
				message: (frame) => {
					this.onMessage(frame.from, frame.id);
				},
				receipt: () => {
					this.receipts += 1;
				},
				drained: () => {
					this.drained?.();
					this.drained = null;
				},
				state: (state, detail) => {
					if (state === "offline") {
						this.disconnects += 1;
						this.disconnectReasons.push(detail);
					}
					if (state === "stopped") this.failed?.(new Error(`${account.phone} stopped: ${detail}`));
				},
			},
		});
	}

	get phone(): string {
		return this.account.phone;
	}

	start(): Promise<void> {
		const ready = new Promise<void>((resolve, reject) => {
			this.drained = resolve;
			this.failed = reject;
		});
		this.connection.start();
		return withTimeout(ready, CONNECT_TIMEOUT_MS, `connecting ${this.phone}`);
	}

	async send(to: string, tag: string): Promise<SendResult> {
		const outcome = await this.connection.send(to, tag, this.body);
		return outcome.ok ? { ok: true } : { ok: false, code: outcome.code };
	}

	stop(): void {
		this.failed = null;
		this.connection.stop();
	}
}

/** A registered Messenger user (the real client core) on in-memory stores. */
export class MessengerEndpoint implements Endpoint {
	onMessage: (from: string, tag: string) => void = () => {};
	receipts = 0;
	private messenger: Messenger | null = null;
	readonly phone: string;

	private constructor(
		private readonly url: string,
		phone: string,
		private readonly stores: ReturnType<typeof createMemoryMessengerStores>,
	) {
		this.phone = phone;
	}

	static async register(url: string, phone: string): Promise<MessengerEndpoint> {
		const stores = createMemoryMessengerStores();
		const requested = await requestVerificationCode(url, phone);
		if (!requested.code) throw new Error("the bench relay must use echo delivery");
		const account = await completeRegistration({
			relayUrl: url,
			phone,
			code: requested.code,
			stores,
			extractable: false,
		});
		return new MessengerEndpoint(url, account.phone, stores);
	}

	async start(): Promise<void> {
		if (this.messenger) this.messenger.stop();
		const messenger = await Messenger.open({
			stores: this.stores,
			sendTimeoutMs: 60_000,
			onEvent: (event) => {
				if (event.type === "message") {
					const space = event.entry.text.indexOf(" ");
					this.onMessage(event.entry.peer, space > 0 ? event.entry.text.slice(0, space) : event.entry.text);
				} else if (event.type === "status" && event.status === "delivered") {
					this.receipts += 1;
				}
			},
		});
		this.messenger = messenger;
		messenger.start();
		await withTimeout(messenger.waitForDrain(), CONNECT_TIMEOUT_MS, `connecting ${this.phone} (${this.url})`);
	}

	/** The stored account (phone and session token). */
	async account(): Promise<Account> {
		const account = await this.stores.account.loadAccount();
		if (!account) throw new Error(`${this.phone} has no account`);
		return { phone: account.phone, token: account.token };
	}

	/** Fetches and pins the peer's keys, as the apps do when a chat is opened. */
	async startChat(peer: string): Promise<void> {
		if (!this.messenger) throw new Error("start first");
		await this.messenger.startChat(peer);
	}

	async send(to: string, tag: string): Promise<SendResult> {
		if (!this.messenger) throw new Error("start first");
		const text = `${tag} ${"x".repeat(Math.max(0, TEXT_CHARS - tag.length - 1))}`;
		const entry = await this.messenger.send(to, text);
		if (entry.status === "sent" || entry.status === "queued" || entry.status === "delivered")
			return { ok: true };
		return { ok: false, code: entry.error?.code ?? entry.status };
	}

	stop(): void {
		this.messenger?.stop();
		this.messenger = null;
	}
}

// ── Tally and statistics ──────────────────────────────────────────────────────────────────────

export interface Tally {
	expected: number;
	received: number;
	duplicates: number;
	missing: number;
	unexpected: number;
	/** Refused sends (the client was told) whose message arrived anyway (e.g. answered too late). */
	arrivedAfterRefusal: number;
	sendErrors: number;
	errorCodes: Record<string, number>;
	ok: boolean;
}

export class Tracker {
	private readonly expected = new Map<string, number>();
	private readonly counts = new Map<string, number>();
	private unexpected = 0;
	private readonly refused = new Set<string>();
	private arrivedAfterRefusal = 0;
	private sendErrors = 0;
	private readonly errorCodes: Record<string, number> = {};
	readonly latencies: number[] = [];
	private waiters: (() => void)[] = [];
	private uniqueReceived = 0;
	firstSendAt = Number.POSITIVE_INFINITY;
	lastReceiveAt = 0;

	key(from: string, tag: string): string {
		return `${from}|${tag}`;
	}

	expect(from: string, tag: string): void {
		const now = performance.now();
		this.expected.set(this.key(from, tag), now);
		if (now < this.firstSendAt) this.firstSendAt = now;
	}

	received(from: string, tag: string): void {
		const now = performance.now();
		const key = this.key(from, tag);
		const sentAt = this.expected.get(key);
		if (sentAt === undefined) {
			if (this.refused.has(key)) this.arrivedAfterRefusal += 1;
			else this.unexpected += 1;
			return;
		}
		const count = (this.counts.get(key) ?? 0) + 1;
		this.counts.set(key, count);
		if (count === 1) {
			this.uniqueReceived += 1;
			this.latencies.push(now - sentAt);
			this.lastReceiveAt = now;
			if (this.uniqueReceived === this.expected.size) for (const wake of this.waiters.splice(0)) wake();
		}
	}

	/** A refused send is not expected to arrive (the client knows it was not sent). */
	sendFailed(from: string, tag: string, code: string | undefined): void {
		const key = this.key(from, tag);
		if (this.expected.delete(key)) {
			this.refused.add(key);
			if (this.counts.has(key)) this.uniqueReceived -= 1;
			if (this.uniqueReceived === this.expected.size) for (const wake of this.waiters.splice(0)) wake();
		}
		this.sendErrors += 1;
		const name = code ?? "unknown";
		this.errorCodes[name] = (this.errorCodes[name] ?? 0) + 1;
	}

	/** True once the message `tag` from `from` has arrived (at least once). */
	arrived(from: string, tag: string): boolean {
		return this.counts.has(this.key(from, tag));
	}

	get expectedCount(): number {
		return this.expected.size;
	}

	get uniqueCount(): number {
		return this.uniqueReceived;
	}

	/** Resolves when every expected message arrived, or after `ms`. */
	async allReceived(ms: number): Promise<boolean> {
		if (this.uniqueReceived === this.expected.size) return true;
		let timer: ReturnType<typeof setTimeout> | undefined;
		const done = await Promise.race([
			new Promise<boolean>((resolve) => this.waiters.push(() => resolve(true))),
			new Promise<boolean>((resolve) => {
				timer = setTimeout(() => resolve(false), ms);
			}),
		]);
		clearTimeout(timer);
		return done;
	}

	tally(): Tally {
		let duplicates = 0;
		for (const count of this.counts.values()) if (count > 1) duplicates += count - 1;
		const missing = this.expected.size - this.uniqueReceived;
		return {
			expected: this.expected.size,
			received: this.uniqueReceived,
			duplicates,
			missing,
			unexpected: this.unexpected,
			arrivedAfterRefusal: this.arrivedAfterRefusal,
			sendErrors: this.sendErrors,
			errorCodes: { ...this.errorCodes },
			ok: duplicates === 0 && missing === 0 && this.unexpected === 0,
		};
	}
}

export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[index] ?? Number.NaN;
}

export function describeTally(label: string, tally: Tally): string {
	const errors = Object.entries(tally.errorCodes)
		.map(([code, n]) => `${code}×${n}`)
		.join(", ");
	return (
		`  tally ${label}: expected ${tally.expected}, received once ${tally.received}, duplicates ${tally.duplicates}, ` +
		`missing ${tally.missing}, unexpected ${tally.unexpected}, send errors ${tally.sendErrors}${errors ? ` (${errors})` : ""}` +
		` → ${tally.ok ? "OK" : "FAILED"}`
	);
}

// ── Driving traffic ───────────────────────────────────────────────────────────────────────────

export interface Flow {
	sender: Endpoint;
	recipient: Endpoint;
}

export interface TrafficOptions {
	/** Messages per flow. */
	messages: number;
	/** Sends in flight per flow (closed loop); ignored when `ratePerSecond` is set. */
	window: number;
	/** Open loop: total sends per second across all flows, spread round-robin. */
	ratePerSecond?: number;
	/** Prefix of the message tags (unique per run). */
	prefix: string;
	/** How long to wait for the last messages after the last send resolved. */
	settleMs?: number;
}

export interface TrafficResult {
	tally: Tally;
	/** First send to last first-time receipt, seconds. */
	seconds: number;
	messagesPerSecond: number;
	latencies: number[];
}

/** Routes every endpoint's received messages into `tracker`. */
export function attach(tracker: Tracker, endpoints: Iterable<Endpoint>): void {
	for (const endpoint of endpoints) endpoint.onMessage = (from, tag) => tracker.received(from, tag);
}

/** Sends `messages` per flow and waits for them all to arrive (or the settle deadline). */
export async function drive(flows: readonly Flow[], options: TrafficOptions): Promise<TrafficResult> {
	const tracker = new Tracker();
	const endpoints = new Set<Endpoint>();
	for (const flow of flows) {
		endpoints.add(flow.sender);
		endpoints.add(flow.recipient);
	}
	attach(tracker, endpoints);
	const sendOne = async (flow: Flow, flowIndex: number, n: number) => {
		const tag = `${options.prefix}f${flowIndex}n${n}`;
		tracker.expect(flow.sender.phone, tag);
		const result = await flow.sender.send(flow.recipient.phone, tag);
		if (!result.ok) tracker.sendFailed(flow.sender.phone, tag, result.code);
	};
	if (options.ratePerSecond === undefined) {
		await Promise.all(
			flows.map(async (flow, flowIndex) => {
				let next = 0;
				const lanes = Array.from(
					{ length: Math.max(1, Math.min(options.window, options.messages)) },
					async () => {
						while (next < options.messages) await sendOne(flow, flowIndex, next++);
					},
				);
				await Promise.all(lanes);
			}),
		);
	} else {
		const total = flows.length * options.messages;
		const started = performance.now();
		const inFlight: Promise<void>[] = [];
		let issued = 0;
		while (issued < total) {
			const due = Math.min(
				total,
				Math.floor(((performance.now() - started) / 1000) * options.ratePerSecond) + 1,
			);
			while (issued < due) {
				const flowIndex = issued % flows.length;
				const n = Math.floor(issued / flows.length);
				inFlight.push(sendOne(flows[flowIndex] as Flow, flowIndex, n));
				issued += 1;
			}
			await new Promise((resolve) => setTimeout(resolve, 2));
		}
		await Promise.all(inFlight);
	}
	await tracker.allReceived(options.settleMs ?? 10_000);
	// Late duplicates would show up shortly after; give them a moment.
	await new Promise((resolve) => setTimeout(resolve, 200));
	const seconds = Math.max(1e-6, (tracker.lastReceiveAt - tracker.firstSendAt) / 1000);
	return {
		tally: tracker.tally(),
		seconds,
		messagesPerSecond: tracker.uniqueCount / seconds,
		latencies: tracker.latencies,
	};
}

export async function startAll(endpoints: Iterable<Endpoint>, limit = 16): Promise<void> {
	await inBatches([...new Set(endpoints)], limit, (endpoint) => endpoint.start());
}

export function stopAll(endpoints: Iterable<Endpoint>): void {
	for (const endpoint of new Set(endpoints)) endpoint.stop();
}

/**
 * Opens a raw authenticated WebSocket and returns the relay's `ready.pending` (entries waiting in the
 * phone's mailbox); the connection is closed again. Replaces any other connection of that phone.
 */
export async function pendingAtRelay(url: string, account: Account): Promise<number> {
	const ws = new WebSocket(new RelayHttpClient(url).connectUrl(account.phone));
	try {
		return await withTimeout(
			new Promise<number>((resolve, reject) => {
				ws.addEventListener("open", () =>
					ws.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, token: account.token })),
				);
				ws.addEventListener("message", (event) => {
					const parsed = parseJson(ServerFrame, String(event.data), 1 << 22);
					if (parsed.ok && parsed.value.type === "ready") resolve(parsed.value.pending);
				});
				ws.addEventListener("close", (event) => reject(new Error(`closed ${event.code}`)));
			}),
			10_000,
			`reading ${account.phone}'s mailbox`,
		);
	} finally {
		ws.close(1000, "done");
	}
}
