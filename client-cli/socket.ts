// The WebSocket the CLI hands to the messenger (MessengerOptions.createSocket). Node's built-in
// WebSocket (undici) fires `error` but never `close` when the connection is refused, and stays
// CONNECTING forever — the relay client reconnects on `close`, so after a relay restart it would wait
// forever. This wrapper guarantees a `close` after any failure: it synthesises one (code 1006) when an
// error is not followed by a close shortly, and when the handshake has not completed within a deadline.
import type { SocketLike } from "../protocol/client/index.ts";

const CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_AFTER_ERROR_MS = 500;
const CLOSED = 3;

type CloseListener = (event: { code: number; reason: string }) => void;
type SocketEvent = { data: unknown; code: number; reason: string };
const NO_EVENT: SocketEvent = { data: undefined, code: 0, reason: "" };
type MessageListener = (event: { data: unknown }) => void;

export class GuardedSocket implements SocketLike {
	private readonly socket: WebSocket;
	private readonly openListeners: (() => void)[] = [];
	private readonly messageListeners: MessageListener[] = [];
	private readonly closeListeners: CloseListener[] = [];
	private readonly errorListeners: (() => void)[] = [];
	private closed = false;
	private guard: NodeJS.Timeout | undefined;

	constructor(url: string) {
		this.socket = new WebSocket(url);
		this.guard = setTimeout(() => this.fail("connection timed out"), CONNECT_TIMEOUT_MS);
		this.socket.addEventListener("open", () => {
			clearTimeout(this.guard);
			for (const listener of this.openListeners) listener();
		});
		this.socket.addEventListener("message", (event) => {
			for (const listener of this.messageListeners) listener({ data: event.data });
		});
		this.socket.addEventListener("close", (event) => this.finish(event.code, event.reason));
		this.socket.addEventListener("error", () => {
			for (const listener of this.errorListeners) listener();
			clearTimeout(this.guard);
			this.guard = setTimeout(() => this.fail("connection failed"), CLOSE_AFTER_ERROR_MS);
		});
	}

	get readyState(): number {
		return this.closed ? CLOSED : this.socket.readyState;
	}

	send(data: string): void {
		this.socket.send(data);
	}

	close(code?: number, reason?: string): void {
		try {
			this.socket.close(code, reason);
		} catch {
			// Closing a socket that never opened can throw; it is dropped either way.
		}
	}

	addEventListener(type: "open", listener: () => void): void;
	addEventListener(type: "message", listener: MessageListener): void;
	addEventListener(type: "close", listener: CloseListener): void;
	addEventListener(type: "error", listener: () => void): void;
	addEventListener(
		type: "open" | "message" | "close" | "error",
		listener: (() => void) | MessageListener | CloseListener,
	): void {
		// Every listener gets the full event object; each overload reads only its part of it.
		const call = (event: SocketEvent) => listener(event);
		if (type === "open") this.openListeners.push(() => call(NO_EVENT));
		else if (type === "error") this.errorListeners.push(() => call(NO_EVENT));
		else if (type === "message")
			this.messageListeners.push((event) => call({ ...NO_EVENT, data: event.data }));
		else this.closeListeners.push((event) => call({ ...NO_EVENT, ...event }));
	}

	private fail(reason: string): void {
		this.close();
		this.finish(1006, reason);
	}

	private finish(code: number, reason: string): void {
		clearTimeout(this.guard);
		if (this.closed) return;
		this.closed = true;
		for (const listener of this.closeListeners) listener({ code, reason });
	}
}

export function createGuardedSocket(url: string): SocketLike {
	return new GuardedSocket(url);
}
