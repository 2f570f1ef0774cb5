// A client's live connection to its phone's Durable Object (docs/PROTOCOL.md §WebSocket), shared by
// the CLI and the web app. It authenticates with a hello frame (the token never goes in the URL),
// reconnects with capped exponential backoff and jitter, resends unanswered sends with the same id
// (the relay stores a resent id once), hands each incoming entry to the app in order and acknowledges
// it only after the app's handler has finished (so a crash before saving means redelivery, not loss).
// A message is acknowledged as soon as the handler queue is idle, since its sender waits for the
// receipt, except in the backlog a connection starts with: its acks go together once `drained` is
// handled, so each sender's receipts reach its object in one call and, if it is away, are stored as
// one row (worker/phone/receipt-batch.ts). Receipts and resume notices are acknowledged lazily,
// riding on the next send (or an ack frame that goes out anyway) so a chatting client spends no frame
// of its own on them (docs/PERFORMANCE.md).
//
// Timers, the socket factory and the jitter source are injectable (RelayConnectionOptions), like
// libsignal's stores and clock. The Messenger passes its own options' `timers` and `createSocket`
// through; the CLI and the web app pass neither, so they get the global setTimeout and WebSocket
// (Node 22 and browsers both have one); tests inject a fake socket and manual timers
// (test/fast/relay-connection.test.ts, test/integration/first-message-crash.test.ts).

import type { InferInput } from "valibot";
import {
	CLOSE_CODES,
	type ClientFrame,
	type ErrorFrame,
	MAX_ACKS_PER_FRAME,
	type MessageFrame,
	PING_TEXT,
	PROTOCOL_VERSION,
	parseJson,
	type ReceiptFrame,
	type ResumeFrame,
	ServerFrame,
} from "../wire/index.ts";
import type { ClientErrorCode } from "./client-errors.ts";

/**
 * A frame this client sends: the ClientFrame schema's input (what the relay parses), so a phone still
 * spelled as text is accepted here and checked by the relay's parse.
 */
type OutgoingFrame = InferInput<typeof ClientFrame>;

export type ConnectionState = "connecting" | "online" | "offline" | "stopped";

/** Why a connection stopped for good: the app decides what to tell the user from this, not from text. */
export type StopReason = "closed" | "replaced" | "signed_out" | "unsupported_protocol";

export type SendOutcome =
	| { ok: true; delivery: "live" | "queued" }
	| { ok: false; code: ClientErrorCode; message: string; retryAfter?: number };

/**
 * What a message handler returns: nothing or "ack" to acknowledge, "hold" to acknowledge later,
 * "discard" when the app could not show the message (the relay drops it without a receipt).
 */
// biome-ignore lint/suspicious/noConfusingVoidType: plain handlers return nothing, and must still type-check.
export type HandlerResult = void | "hold" | "ack" | "discard";

export interface ConnectionHandlers {
	/**
	 * Resolve once the message is decrypted and saved: only then is it acknowledged. Throwing leaves it
	 * for redelivery on the next connection; returning `"hold"` leaves it unacknowledged until the app
	 * calls `acknowledge(seq)` (e.g. after the user accepted a changed identity key).
	 */
	message(frame: MessageFrame): HandlerResult | Promise<HandlerResult>;
	receipt?(frame: ReceiptFrame): Promise<void> | void;
	resume?(frame: ResumeFrame): Promise<void> | void;
	/** The backlog that was waiting at connect time has been handed over. */
	drained?(): void;
	/** `reason` is set when `state` is "stopped". */
	state?(state: ConnectionState, detail: string, reason?: StopReason): void;
	/** Relay errors not tied to a send (e.g. unknown_message). */
	relayError?(frame: ErrorFrame): void;
}

export interface Timers {
	setTimeout(callback: () => void, ms: number): unknown;
	clearTimeout(handle: unknown): void;
}

export interface SocketLike {
	readonly readyState: number;
	send(data: string): void;
	close(code?: number, reason?: string): void;
	addEventListener(type: "open", listener: () => void): void;
	addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
	addEventListener(type: "close", listener: (event: { code: number; reason: string }) => void): void;
	addEventListener(type: "error", listener: () => void): void;
}

export interface RelayConnectionOptions {
	url: string;
	token: string;
	handlers: ConnectionHandlers;
	createSocket?: (url: string) => SocketLike;
	timers?: Timers;
	random?: () => number;
	/** How long a send may wait for the relay's answer, across reconnects, before it is reported unsent. */
	sendTimeoutMs?: number;
	maxBackoffMs?: number;
	pingIntervalMs?: number;
	/**
	 * How long one connection attempt (WebSocket handshake, hello, ready) may take before it is abandoned
	 * and retried. Without it, a handshake that is never answered (a relay restarting, a half-open TCP
	 * connection) would leave the client offline for good.
	 */
	connectTimeoutMs?: number;
}

/** Close codes after which reconnecting cannot help: the user must act. */
const FINAL_CLOSE_CODES = new Map<number, { reason: StopReason; message: string }>([
	[
		CLOSE_CODES.replaced,
		{ reason: "replaced", message: "This account connected from another client; this one stopped." },
	],
	[
		CLOSE_CODES.unauthenticated,
		{ reason: "signed_out", message: "The relay did not accept this session; register again." },
	],
	[
		CLOSE_CODES.unsupportedProtocol,
		{
			reason: "unsupported_protocol",
			message: "The relay speaks a different protocol version; update FriendLy.",
		},
	],
	[
		CLOSE_CODES.revoked,
		{
			reason: "signed_out",
			message: "This session was signed out (or the phone registered again elsewhere); register again.",
		},
	],
]);

const MAX_FRAME_CHARS = 2 * 1024 * 1024;
/**
 * The longest a notice's ack waits for a frame to ride on before it goes out alone. Short, because
 * the relay holds a receipt pushed to a connected sender in memory (the sender's object awake and
 * billed) until this ack arrives, and writes it to storage if it has not within half a second
 * (worker/durable-objects/phone-object.ts HELD_NOTICE_MS, docs/PERFORMANCE.md §Cost model): each
 * 100 ms of waiting costs ~$0.16 per million receipts in duration, an ack frame of its own ~$0.0075
 * (20 incoming WebSocket messages are one billed request). 20 ms still lets a burst's acks share frames.
 */
export const LAZY_ACK_MS = 20;
/**
 * The longest a backlog's message acks wait for `drained` (a relay that never sends it, or a backlog
 * so large it takes a while): then what has been handled is acknowledged, and the rest at `drained`.
 */
export const BACKLOG_ACK_MS = 1_000;
/** How long to wait for the close event that should follow a socket error. */
const ERROR_CLOSE_GRACE_MS = 500;
const OPEN = 1;

interface PendingSend {
	to: string;
	id: string;
	body: string;
	resolve: (outcome: SendOutcome) => void;
	timer: unknown;
}

export class RelayConnection {
	private socket: SocketLike | null = null;
	private ready = false;
	private stopped = true;
	private attempt = 0;
	private reconnectTimer: unknown = null;
	private pingTimer: unknown = null;
	private connectTimer: unknown = null;
	private readonly pending = new Map<string, PendingSend>();
	private incoming: Promise<void> = Promise.resolve();
	private queuedIncoming = 0;
	/** Acks of messages: sent once the handler queue is idle. */
	private acks: number[] = [];
	/** Messages the app could not show: dropped at the relay without a receipt. */
	private discards: number[] = [];
	/** Acks of receipts and resume notices: ride on the next outgoing frame. */
	private lazyAcks: number[] = [];
	private lazyAckTimer: unknown = null;
	/** True from a `ready` with a backlog until its `drained` is handled: message acks wait (see the header). */
	private inBacklog = false;
	private backlogAckTimer: unknown = null;
	private currentState: ConnectionState = "offline";
	private readonly timers: Timers;
	private readonly random: () => number;
	private readonly createSocket: (url: string) => SocketLike;

	constructor(private readonly options: RelayConnectionOptions) {
		this.timers = options.timers ?? {
			setTimeout: (callback, ms) => setTimeout(callback, ms),
			clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
		};
		this.random = options.random ?? Math.random;
		this.createSocket = options.createSocket ?? ((url) => new WebSocket(url));
	}

	get state(): ConnectionState {
		return this.currentState;
	}

	start(): void {
		if (!this.stopped) return;
		this.stopped = false;
		this.open();
	}

	/** Closes cleanly; unanswered sends are reported as not confirmed. */
	stop(): void {
		this.stopped = true;
		this.clearTimer("reconnectTimer");
		this.clearTimer("pingTimer");
		this.clearTimer("connectTimer");
		this.endBacklog();
		this.flushAcks(true);
		this.clearTimer("lazyAckTimer");
		this.socket?.close(1000, "client closed");
		this.socket = null;
		this.ready = false;
		this.failAll(
			"connection_lost",
			"The client disconnected before the relay confirmed this message; it may not have been sent.",
		);
		this.setState("stopped", "disconnected", "closed");
	}

	/** Sends an envelope; resolves with the relay's answer (never rejects). */
	send(to: string, id: string, body: string): Promise<SendOutcome> {
		if (this.stopped) {
			return Promise.resolve({ ok: false, code: "connection_lost", message: "Not connected to the relay." });
		}
		const key = `${to}\n${id}`;
		return new Promise<SendOutcome>((resolve) => {
			const timer = this.timers.setTimeout(() => {
				this.pending.delete(key);
				resolve({
					ok: false,
					code: "relay_unreachable",
					message:
						"The relay did not confirm this message in time; it was not sent. Check your connection and resend.",
				});
			}, this.options.sendTimeoutMs ?? 30_000);
			this.pending.set(key, { to, id, body, resolve, timer });
			if (this.ready) this.transmitSend(to, id, body);
		});
	}

	/** Skips a pending backoff wait and connects now; does nothing when connected or connecting. */
	reconnectNow(): void {
		if (this.stopped || this.reconnectTimer === null) return;
		this.clearTimer("reconnectTimer");
		this.open();
	}

	/** Acknowledges an entry that a handler held back. */
	acknowledge(seq: number): void {
		this.acks.push(seq);
		if (this.promptAcksDue) this.flushAcks();
	}

	/** Drops a message the app could not show (undecryptable, or held and then rejected): no receipt. */
	discard(seq: number): void {
		this.discards.push(seq);
		if (this.promptAcksDue) this.flushAcks();
	}

	/** Message acks go once the handler queue is idle, but not before a backlog is handled (see the header). */
	private get promptAcksDue(): boolean {
		return this.queuedIncoming === 0 && !this.inBacklog;
	}

	private armBacklogAckTimer(): void {
		if (this.backlogAckTimer !== null || (this.acks.length === 0 && this.discards.length === 0)) return;
		this.backlogAckTimer = this.timers.setTimeout(() => {
			this.backlogAckTimer = null;
			this.flushAcks();
		}, BACKLOG_ACK_MS);
	}

	/** The backlog is handled (or the connection is gone): message acks go as soon as the queue is idle again. */
	private endBacklog(): void {
		this.inBacklog = false;
		this.clearTimer("backlogAckTimer");
	}

	private open(): void {
		this.setState(
			"connecting",
			this.attempt === 0 ? "connecting" : `reconnecting (attempt ${this.attempt + 1})`,
		);
		let socket: SocketLike;
		try {
			socket = this.createSocket(this.options.url);
		} catch {
			this.scheduleReconnect("could not open a connection");
			return;
		}
		this.socket = socket;
		this.clearTimer("connectTimer");
		this.connectTimer = this.timers.setTimeout(() => {
			this.connectTimer = null;
			if (socket !== this.socket || this.ready) return;
			// Abandon the attempt: its late events are ignored (socket !== this.socket).
			this.socket = null;
			try {
				socket.close(1000, "connection attempt timed out");
			} catch {
				// Not open yet.
			}
			this.scheduleReconnect("the relay did not answer in time");
		}, this.options.connectTimeoutMs ?? 15_000);
		socket.addEventListener("open", () => {
			const hello: OutgoingFrame = { type: "hello", protocol: PROTOCOL_VERSION, token: this.options.token };
			socket.send(JSON.stringify(hello));
		});
		socket.addEventListener("message", (event) => {
			if (socket === this.socket) this.onData(event.data);
		});
		socket.addEventListener("close", (event) => {
			if (socket === this.socket) this.onClose(event.code, event.reason);
		});
		socket.addEventListener("error", () => {
			// Browsers follow an error with a close event; Node's WebSocket (undici) may not (a refused
			// connection stays CONNECTING), so a close is assumed if none arrives shortly.
			this.timers.setTimeout(() => {
				if (socket !== this.socket) return;
				try {
					socket.close();
				} catch {
					// Never opened.
				}
				this.onClose(1006, "connection failed");
			}, ERROR_CLOSE_GRACE_MS);
		});
	}

	private onData(data: unknown): void {
		if (typeof data !== "string") return;
		const parsed = parseJson(ServerFrame, data, MAX_FRAME_CHARS);
		if (!parsed.ok) return;
		const frame = parsed.value;
		switch (frame.type) {
			case "ready":
				this.ready = true;
				this.clearTimer("connectTimer");
				this.attempt = 0;
				this.inBacklog = frame.pending > 0;
				this.setState("online", `connected as ${frame.phone}`);
				this.schedulePing();
				for (const send of this.pending.values()) this.transmitSend(send.to, send.id, send.body);
				return;
			case "sent":
				this.settle(frame.to, frame.id, { ok: true, delivery: frame.delivery });
				return;
			case "error":
				if (frame.id !== undefined && frame.to !== undefined) {
					this.settle(frame.to, frame.id, {
						ok: false,
						code: frame.code,
						message: frame.message,
						...(frame.retryAfter !== undefined ? { retryAfter: frame.retryAfter } : {}),
					});
				} else {
					this.options.handlers.relayError?.(frame);
				}
				return;
			case "message":
				this.enqueueIncoming(frame.seq, "prompt", () => this.options.handlers.message(frame));
				return;
			case "receipt":
				this.enqueueIncoming(frame.seq, "lazy", () => this.options.handlers.receipt?.(frame));
				return;
			case "resume":
				this.enqueueIncoming(frame.seq, "lazy", () => this.options.handlers.resume?.(frame));
				return;
			case "drained":
				this.enqueueIncoming(null, "prompt", () => {
					this.endBacklog();
					return this.options.handlers.drained?.();
				});
				return;
			case "pong":
				return;
		}
	}

	/** Incoming entries are handled one at a time, in order; acks go out in batches once the queue is idle. */
	private enqueueIncoming(
		seq: number | null,
		urgency: "prompt" | "lazy",
		handle: () => HandlerResult | Promise<HandlerResult>,
	): void {
		this.queuedIncoming += 1;
		this.incoming = this.incoming.then(async () => {
			try {
				const outcome = await handle();
				if (seq !== null && outcome === "discard") this.discards.push(seq);
				else if (seq !== null && outcome !== "hold") {
					if (urgency === "prompt") this.acks.push(seq);
					else this.addLazyAck(seq);
				}
			} catch {
				// Not acknowledged: the relay redelivers it on the next connection.
			} finally {
				this.queuedIncoming -= 1;
				if (
					this.promptAcksDue ||
					this.acks.length >= MAX_ACKS_PER_FRAME ||
					this.discards.length >= MAX_ACKS_PER_FRAME
				)
					this.flushAcks();
				else if (this.inBacklog) this.armBacklogAckTimer();
			}
		});
	}

	private addLazyAck(seq: number): void {
		this.lazyAcks.push(seq);
		if (this.lazyAcks.length >= MAX_ACKS_PER_FRAME) {
			this.flushAcks(true);
			return;
		}
		if (this.lazyAckTimer !== null) return;
		this.lazyAckTimer = this.timers.setTimeout(() => {
			this.lazyAckTimer = null;
			this.flushAcks(true);
		}, LAZY_ACK_MS);
	}

	/** Sends the prompt acks, with as many lazy ones as fit; all of them when `everything`. */
	private flushAcks(everything = false): void {
		while (this.ready && this.discards.length > 0) {
			this.transmit({ type: "discard", seqs: this.discards.splice(0, MAX_ACKS_PER_FRAME) });
		}
		while (this.ready && (this.acks.length > 0 || (everything && this.lazyAcks.length > 0))) {
			const seqs = this.acks.splice(0, MAX_ACKS_PER_FRAME);
			seqs.push(...this.takeLazyAcks(MAX_ACKS_PER_FRAME - seqs.length));
			this.transmit({ type: "ack", seqs });
		}
	}

	private takeLazyAcks(room: number): number[] {
		const taken = this.lazyAcks.splice(0, room);
		if (this.lazyAcks.length === 0) this.clearTimer("lazyAckTimer");
		return taken;
	}

	private transmitSend(to: string, id: string, body: string): void {
		const acks = this.takeLazyAcks(MAX_ACKS_PER_FRAME);
		this.transmit({ type: "send", id, to, body, ...(acks.length > 0 ? { acks } : {}) });
	}

	private settle(to: string, id: string, outcome: SendOutcome): void {
		const key = `${to}\n${id}`;
		const send = this.pending.get(key);
		if (!send) return;
		this.pending.delete(key);
		this.timers.clearTimeout(send.timer);
		send.resolve(outcome);
	}

	private onClose(code: number, reason: string): void {
		this.socket = null;
		this.ready = false;
		// Unacknowledged seqs will be redelivered; dropping them here is safe.
		this.acks = [];
		this.discards = [];
		this.lazyAcks = [];
		this.clearTimer("lazyAckTimer");
		this.endBacklog();
		this.clearTimer("pingTimer");
		this.clearTimer("connectTimer");
		if (this.stopped) return;
		const final = FINAL_CLOSE_CODES.get(code);
		if (final) {
			this.stopped = true;
			this.failAll(code === CLOSE_CODES.replaced ? "connection_lost" : "unauthenticated", final.message);
			this.setState("stopped", final.message, final.reason);
			return;
		}
		this.scheduleReconnect(reason || `connection closed (${code})`);
	}

	private scheduleReconnect(why: string): void {
		const base = Math.min(this.options.maxBackoffMs ?? 30_000, 500 * 2 ** this.attempt);
		const delay = Math.round(base / 2 + (this.random() * base) / 2);
		this.attempt += 1;
		this.setState("offline", `${why}; retrying in ${Math.ceil(delay / 1000)} s`);
		this.reconnectTimer = this.timers.setTimeout(() => {
			this.reconnectTimer = null;
			if (!this.stopped) this.open();
		}, delay);
	}

	private schedulePing(): void {
		this.clearTimer("pingTimer");
		this.pingTimer = this.timers.setTimeout(() => {
			this.pingTimer = null;
			if (this.ready && this.socket?.readyState === OPEN) {
				this.socket.send(PING_TEXT);
				this.schedulePing();
			}
		}, this.options.pingIntervalMs ?? 25_000);
	}

	private transmit(frame: OutgoingFrame): void {
		if (this.socket?.readyState !== OPEN) return;
		try {
			this.socket.send(JSON.stringify(frame));
		} catch {
			// The close handler reconnects; pending sends are retransmitted on ready.
		}
	}

	private failAll(code: ClientErrorCode, message: string): void {
		for (const send of this.pending.values()) {
			this.timers.clearTimeout(send.timer);
			send.resolve({ ok: false, code, message });
		}
		this.pending.clear();
	}

	private clearTimer(
		which: "reconnectTimer" | "pingTimer" | "connectTimer" | "lazyAckTimer" | "backlogAckTimer",
	): void {
		if (this[which] !== null) this.timers.clearTimeout(this[which]);
		this[which] = null;
	}

	private setState(state: ConnectionState, detail: string, reason?: StopReason): void {
		this.currentState = state;
		this.options.handlers.state?.(state, detail, reason);
	}
}
