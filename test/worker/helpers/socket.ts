// WebSocket client for tests: connects through the real Worker route, queues parsed frames and close
// events, and waits for them with a timeout that names what was expected.
import { exports } from "cloudflare:workers";
import { encodeBase64Url } from "../../../protocol/encoding/base64url.ts";
import {
	parseJson,
	type ServerFrame,
	ServerFrame as ServerFrameSchema,
} from "../../../protocol/wire/index.ts";
import { RELAY } from "./http.ts";
import { pathPhone } from "./phones.ts";

const WAIT_MS = 5_000;

type FrameOf<T extends ServerFrame["type"]> = Extract<ServerFrame, { type: T }>;

export interface Closed {
	code: number;
	reason: string;
}

export class TestSocket {
	private readonly frames: ServerFrame[] = [];
	private closed: Closed | null = null;
	private schemaError: string | undefined;
	private wake: (() => void) | null = null;

	constructor(readonly ws: WebSocket) {
		ws.addEventListener("message", (event) => {
			const text = typeof event.data === "string" ? event.data : "<binary>";
			const parsed = parseJson(ServerFrameSchema, text, 4 << 20);
			if (!parsed.ok) {
				// Reported by the next wait, so the failing test names it.
				this.schemaError ??= `relay sent a frame outside the wire schema: ${parsed.message}: ${text.slice(0, 200)}`;
				this.wake?.();
				return;
			}
			this.frames.push(parsed.value);
			this.wake?.();
		});
		ws.addEventListener("close", (event) => {
			this.closed = { code: event.code, reason: event.reason };
			this.wake?.();
		});
	}

	send(frame: unknown): void {
		this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
	}

	/** Next frame; fails if it is not of `type`. Only frames of the types in `skip` are passed over. */
	async next<T extends ServerFrame["type"]>(
		type: T,
		skip: readonly ServerFrame["type"][] = [],
	): Promise<FrameOf<T>> {
		for (;;) {
			const frame = await this.waitFor(() => this.frames.shift() ?? null, `a "${type}" frame`);
			if (frame.type === type) return frame as FrameOf<T>;
			if (!skip.includes(frame.type))
				throw new Error(`expected a "${type}" frame, got ${JSON.stringify(frame)}`);
		}
	}

	/** Next frame of any type. */
	nextAny(): Promise<ServerFrame> {
		return this.waitFor(() => this.frames.shift() ?? null, "a frame");
	}

	/** Frames up to and including the next pong: a barrier after frames the object handles synchronously. */
	async untilPong(): Promise<ServerFrame[]> {
		// Not the exact PING_TEXT, so the object itself answers, in order with its other frames.
		this.send('{ "type": "ping" }');
		const seen: ServerFrame[] = [];
		for (;;) {
			const frame = await this.waitFor(() => this.frames.shift() ?? null, "a pong frame");
			if (frame.type === "pong") return seen;
			seen.push(frame);
		}
	}

	async closeEvent(): Promise<Closed> {
		return this.waitFor(() => this.closed, "the socket to close");
	}

	pendingFrames(): readonly ServerFrame[] {
		return this.frames;
	}

	close(): void {
		try {
			this.ws.close(1000, "test done");
		} catch {
			// Already closed.
		}
	}

	private async waitFor<R>(take: () => R | null, what: string): Promise<R> {
		const deadline = Date.now() + WAIT_MS;
		for (;;) {
			if (this.schemaError) throw new Error(this.schemaError);
			const value = take();
			if (value !== null) return value;
			if (this.closed && what !== "the socket to close")
				throw new Error(
					`waiting for ${what}, but the socket closed with ${this.closed.code} ${this.closed.reason}`,
				);
			const left = deadline - Date.now();
			if (left <= 0) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, left);
				this.wake = () => {
					clearTimeout(timer);
					resolve();
				};
			});
			this.wake = null;
		}
	}
}

export async function openSocket(phone: string, headers: Record<string, string> = {}): Promise<TestSocket> {
	const response = await exports.default.fetch(`${RELAY}/v1/connect/${pathPhone(phone)}`, {
		headers: { Upgrade: "websocket", ...headers },
	});
	const ws = response.webSocket;
	if (response.status !== 101 || !ws)
		throw new Error(`expected 101, got ${response.status}: ${await response.text()}`);
	ws.accept();
	return new TestSocket(ws);
}

/** Opens, says hello, and reads `ready`; returns the socket and the ready frame. */
export async function connect(phone: string, token: string) {
	const socket = await openSocket(phone);
	socket.send({ type: "hello", protocol: 1, token });
	const ready = await socket.next("ready");
	return { socket, ready };
}

/** Connects and reads the backlog up to `drained`. */
export async function connectDrained(phone: string, token: string) {
	const { socket, ready } = await connect(phone, token);
	const backlog: ServerFrame[] = [];
	for (let i = 0; i < ready.pending; i++) {
		const frame = await socket.nextAny();
		backlog.push(frame);
	}
	await socket.next("drained");
	return { socket, ready, backlog };
}

/** A registered phone connected with its backlog read: the socket, ready to send and receive. */
export async function online(who: { phone: string; token: string }): Promise<TestSocket> {
	return (await connectDrained(who.phone, who.token)).socket;
}

export function randomBody(bytes = 64): string {
	const out = new Uint8Array(bytes);
	// getRandomValues fills at most 64 KiB per call.
	for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(bytes, i + 65536)));
	return encodeBase64Url(out);
}

let idCounter = 0;
export function messageId(): string {
	idCounter += 1;
	return `m${idCounter}-${Math.random().toString(36).slice(2, 8)}`;
}
