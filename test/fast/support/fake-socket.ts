// A WebSocket stand-in for RelayConnection (SocketLike): the test plays the relay. Every frame the
// client sends is parsed with the wire schema ClientFrame (the one the relay uses); a frame that does
// not parse is kept in `invalid` so the test fails on it instead of the client swallowing the throw.
import type { SocketLike } from "../../../protocol/client/index.ts";
import { ClientFrame, normalisePhone, parseJson, type ServerFrame } from "../../../protocol/wire/index.ts";

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;
const MAX_FRAME_CHARS = 2 * 1024 * 1024;

/** One event shape for every listener: each listener reads the fields its event type has. */
interface SocketEvent {
	data: unknown;
	code: number;
	reason: string;
}
type Listener = (event: SocketEvent) => void;
type EventType = "open" | "message" | "close" | "error";

export class FakeSocket implements SocketLike {
	readyState = CONNECTING;
	/** Frames the client sent, parsed. */
	readonly frames: ClientFrame[] = [];
	/** Texts the client sent that are not a ClientFrame. */
	readonly invalid: string[] = [];
	/** The close the client asked for, if any. */
	closedByClient: { code: number | undefined; reason: string | undefined } | undefined;
	private readonly listeners = new Map<EventType, Listener[]>();

	constructor(readonly url: string) {}

	send(data: string): void {
		if (this.readyState !== OPEN) throw new Error("send on a socket that is not open");
		const parsed = parseJson(ClientFrame, data, MAX_FRAME_CHARS);
		if (parsed.ok) this.frames.push(parsed.value);
		else this.invalid.push(`${parsed.message}: ${data.slice(0, 200)}`);
	}

	close(code?: number, reason?: string): void {
		this.closedByClient = { code, reason };
		this.readyState = CLOSED;
	}

	addEventListener(type: EventType, listener: Listener): void {
		this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
	}

	// ── The relay's side ──────────────────────────────────────────────────────────────────────

	open(): void {
		this.readyState = OPEN;
		this.emit("open", { data: undefined, code: 0, reason: "" });
	}

	receive(frame: ServerFrame): void {
		this.receiveText(JSON.stringify(frame));
	}

	receiveText(data: unknown): void {
		this.emit("message", { data, code: 0, reason: "" });
	}

	/** The connection ends (the relay closed it, or the network dropped it). */
	drop(code: number, reason = ""): void {
		this.readyState = CLOSED;
		this.emit("close", { data: undefined, code, reason });
	}

	error(): void {
		this.emit("error", { data: undefined, code: 0, reason: "" });
	}

	/** The frames of one type the client sent, in order. */
	sent<T extends ClientFrame["type"]>(type: T): Extract<ClientFrame, { type: T }>[] {
		return this.frames.filter((frame): frame is Extract<ClientFrame, { type: T }> => frame.type === type);
	}

	private emit(type: EventType, event: SocketEvent): void {
		for (const listener of this.listeners.get(type) ?? []) listener(event);
	}
}

/** A phone number in the wire's canonical form (what the wire schemas output), for hand-made frames. */
export function e164(text: string) {
	const parsed = normalisePhone(text);
	if (!parsed.ok) throw new Error(`not a phone number: ${text}`);
	return parsed.phone;
}
