// An in-process stand-in for the relay, for the fast tier only: a socket peer that speaks the wire
// protocol (docs/PROTOCOL.md §WebSocket) to any number of Messengers, and a fetch for the HTTP routes
// they use (registration, PUT /v1/keys, GET /v1/keys, GET /v1/keys/:phone) over an in-memory key
// directory. It keeps the rules the clients depend on — hello/ready/backlog/drained, `sent` live or
// queued, mailbox entries until acknowledged, acks → receipts to the sender, discard → no receipt and
// the id forgotten, a resend stored once while its entry is held and delivered again after the ack
// (the relay keeps no remembered ids: clients drop a repeated id), one connection per phone (4000), a
// re-registration revokes the old token (4004) — and nothing else: no rate limits, no caps, no
// signature checks on uploads. Every behaviour tested against it is also tested end to end against
// the real Worker in `npm test` (docs/TESTING.md lists the pairs).
//
// Frames from clients are parsed with the wire's ClientFrame schema and request bodies with the HTTP
// schemas, as the real relay does; what it sends is typed as ServerFrame.
import type * as v from "valibot";
import type { SocketLike } from "../../../protocol/client/index.ts";
import { encodeBase64Url } from "../../../protocol/encoding/base64url.ts";
import type { FetchLike } from "../../../protocol/messenger/index.ts";
import {
	API_PREFIX,
	CLOSE_CODES,
	ClientFrame,
	CodeConfirmation,
	CodeRequest,
	HTTP_STATUS,
	type IdentityKeys,
	type KemPrekey,
	type MessageFrame,
	normalisePhone,
	type OneTimePrekey,
	PROTOCOL_VERSION,
	PrekeyUpload,
	parseJson,
	type ReceiptFrame,
	type RelayErrorCode,
	type ServerFrame,
	type SignedPrekey,
} from "../../../protocol/wire/index.ts";

const MAX_CHARS = 2 * 1024 * 1024;
const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** A canonical phone number as the wire schemas output it. */
type Phone = MessageFrame["from"];

interface Account {
	phone: Phone;
	token: string;
	identity: IdentityKeys;
	signedPrekey?: SignedPrekey;
	oneTimePrekeys: OneTimePrekey[];
	/** Suite 2's one-time KEM prekeys, handed out once like the one-time prekeys. */
	kemPrekeys: KemPrekey[];
}

type Entry = MessageFrame | ReceiptFrame;

interface Mailbox {
	nextSeq: number;
	/** Unacknowledged entries by seq, in the order stored. */
	entries: Map<number, Entry>;
	/** `from\nid` of messages held: a resend is stored once until the ack; acknowledged or discarded ids are forgotten. */
	ids: Set<string>;
}

export interface SocketOptions {
	/** While true, frames from this client are lost (a process that died sends nothing). */
	muted?: () => boolean;
}

export class FakeRelay {
	readonly url = "http://relay.test";
	/** Every frame a client sent, parsed, with the phone it came from. */
	readonly received: { phone: string; frame: ClientFrame }[] = [];
	/** Client texts that did not parse as a ClientFrame (a test fails on any). */
	readonly invalid: string[] = [];
	/** Called with each frame just before it is pushed to `phone`'s socket. */
	onDeliver: ((phone: string, frame: ServerFrame) => void) | undefined;
	private readonly accounts = new Map<string, Account>();
	private readonly mailboxes = new Map<string, Mailbox>();
	private readonly connections = new Map<string, RelaySocket>();
	private clock = 1_700_000_000_000;

	/** A `createSocket` for Messenger / RelayConnection. */
	readonly createSocket = (url: string): SocketLike => this.socket(url);

	socket(url: string, options: SocketOptions = {}): SocketLike {
		const last = decodeURIComponent(new URL(url).pathname.split("/").at(-1) ?? "");
		const phone = normalisePhone(last);
		if (!phone.ok) throw new Error(`the fake relay has no connect URL for "${last}"`);
		return new RelaySocket(this, phone.phone, options);
	}

	/** The unacknowledged entries in `phone`'s mailbox. */
	mailbox(phone: string): Entry[] {
		return [...(this.mailboxes.get(phone)?.entries.values() ?? [])];
	}

	isConnected(phone: string): boolean {
		return this.connections.has(phone);
	}

	/** Closes `phone`'s connection as the relay would (a restart: 1012; replaced: 4000 …). */
	disconnect(phone: string, code = 1012): void {
		this.connections.get(phone)?.closeFromRelay(code, "closed by the test");
	}

	/** The frames of one type `phone` sent. */
	framesFrom<T extends ClientFrame["type"]>(phone: string, type: T): Extract<ClientFrame, { type: T }>[] {
		return this.received
			.filter((entry) => entry.phone === phone)
			.map((entry) => entry.frame)
			.filter((frame): frame is Extract<ClientFrame, { type: T }> => frame.type === type);
	}

	// ── HTTP ──────────────────────────────────────────────────────────────────────────────────

	readonly fetch: FetchLike = async (input, init) => {
		const url = new URL(input);
		const method = init?.method ?? "GET";
		const body = typeof init?.body === "string" ? init.body : "";
		const path = url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) : url.pathname;
		const token = new Headers(init?.headers).get("authorization")?.replace(/^Bearer /, "");
		try {
			if (method === "POST" && path === "/verification/request") {
				const request = parse(CodeRequest, body);
				return json({
					phone: request.phone,
					delivery: "echo",
					expiresIn: 600,
					resendAfter: 60,
					code: "123456",
				});
			}
			if (method === "POST" && path === "/verification/confirm") return json(this.register(body));
			const account = [...this.accounts.values()].find((candidate) => candidate.token === token);
			if (!account) throw new HttpError("unauthenticated", "Missing or revoked session token.");
			if (method === "PUT" && path === "/keys") {
				const upload = parse(PrekeyUpload, body);
				if (upload.signedPrekey) account.signedPrekey = upload.signedPrekey;
				const held = new Map(account.oneTimePrekeys.map((key) => [key.keyId, key]));
				for (const key of upload.oneTimePrekeys) held.set(key.keyId, key);
				account.oneTimePrekeys = [...held.values()].sort((a, b) => a.keyId - b.keyId);
				const heldKem = new Map(account.kemPrekeys.map((key) => [key.keyId, key]));
				for (const key of upload.kemPrekeys ?? []) heldKem.set(key.keyId, key);
				account.kemPrekeys = [...heldKem.values()].sort((a, b) => a.keyId - b.keyId);
				return json(status(account));
			}
			if (method === "GET" && path === "/keys") return json(status(account));
			const bundleOf = /^\/keys\/([^/]+)$/.exec(path)?.[1];
			if (method === "GET" && bundleOf !== undefined) {
				const target = this.accounts.get(canonical(decodeURIComponent(bundleOf)));
				if (!target?.signedPrekey) throw new HttpError("not_registered", "That phone is not registered.");
				const oneTimePrekey = target.oneTimePrekeys.shift();
				const kemPrekey = target.kemPrekeys.shift();
				return json({
					phone: target.phone,
					identity: target.identity,
					signedPrekey: target.signedPrekey,
					...(oneTimePrekey ? { oneTimePrekey } : {}),
					...(kemPrekey ? { kemPrekey } : {}),
				});
			}
			throw new HttpError("not_found", `No route ${method} ${path} in the fake relay.`);
		} catch (error) {
			if (!(error instanceof HttpError)) throw error;
			return json({ error: { code: error.code, message: error.message } }, HTTP_STATUS[error.code]);
		}
	};

	private register(body: string) {
		const { phone, identity } = parse(CodeConfirmation, body);
		const previous = this.accounts.get(phone);
		const identityChanged =
			previous !== undefined &&
			(previous.identity.signingKey !== identity.signingKey || previous.identity.dhKey !== identity.dhKey);
		const token = `${phone.slice(1)}.${encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
		this.accounts.set(phone, {
			phone,
			token,
			identity,
			// A new identity drops the prekeys signed by the old one.
			...(previous && !identityChanged && previous.signedPrekey
				? { signedPrekey: previous.signedPrekey }
				: {}),
			oneTimePrekeys: previous && !identityChanged ? previous.oneTimePrekeys : [],
			kemPrekeys: previous && !identityChanged ? previous.kemPrekeys : [],
		});
		// Registering again revokes every earlier token and closes the connected socket.
		this.connections.get(phone)?.closeFromRelay(CLOSE_CODES.revoked, "registered again");
		return { phone, token, identityChanged };
	}

	// ── WebSocket ─────────────────────────────────────────────────────────────────────────────

	/** A frame from a client socket (already parsed). */
	handle(socket: RelaySocket, frame: ClientFrame): void {
		if (!socket.authenticated) {
			this.hello(socket, frame);
			return;
		}
		this.received.push({ phone: socket.phone, frame });
		switch (frame.type) {
			case "hello":
				break;
			case "ping":
				socket.push({ type: "pong" });
				break;
			case "ack":
				this.acknowledge(socket, frame.seqs);
				break;
			case "discard":
				this.discard(socket, frame.seqs);
				break;
			case "send":
				if (frame.acks) this.acknowledge(socket, frame.acks);
				this.store(socket, frame);
				break;
		}
	}

	/** The handshake: hello → ready, the backlog in order, drained (or a close code). */
	private hello(socket: RelaySocket, frame: ClientFrame): void {
		const account = this.accounts.get(socket.phone);
		if (frame.type !== "hello" || !account || account.token !== frame.token) {
			socket.closeFromRelay(CLOSE_CODES.unauthenticated, "hello with a valid token first");
		} else if (frame.protocol !== PROTOCOL_VERSION) {
			socket.closeFromRelay(CLOSE_CODES.unsupportedProtocol, "unsupported protocol");
		} else {
			this.connections.get(socket.phone)?.closeFromRelay(CLOSE_CODES.replaced, "replaced");
			socket.authenticated = true;
			this.connections.set(socket.phone, socket);
			const backlog = this.mailbox(socket.phone);
			socket.push({
				type: "ready",
				protocol: PROTOCOL_VERSION,
				phone: socket.phone,
				pending: backlog.length,
			});
			for (const entry of backlog) socket.push(entry);
			socket.push({ type: "drained" });
		}
	}

	/** A send: stored once per sender and id (a resend is answered `sent` again), pushed if the recipient is online. */
	private store(socket: RelaySocket, frame: Extract<ClientFrame, { type: "send" }>): void {
		const to = frame.to;
		// As the relay does (docs/PROTOCOL.md §Sending rules): a send to oneself is refused, naming it.
		if (to === socket.phone) {
			socket.push({
				type: "error",
				code: "bad_frame",
				message: "A send to your own number.",
				id: frame.id,
				to,
			});
			return;
		}
		if (!this.accounts.has(to)) {
			socket.push({
				type: "error",
				code: "unknown_recipient",
				message: `${to} is not registered.`,
				id: frame.id,
				to,
			});
			return;
		}
		const mailbox = this.mailboxOf(to);
		const key = `${socket.phone}\n${frame.id}`;
		const recipient = this.connections.get(to);
		if (!mailbox.ids.has(key)) {
			mailbox.ids.add(key);
			const entry: MessageFrame = {
				type: "message",
				seq: mailbox.nextSeq++,
				from: socket.phone,
				id: frame.id,
				body: frame.body,
				sentAt: this.clock++,
			};
			mailbox.entries.set(entry.seq, entry);
			recipient?.push(entry);
		}
		socket.push({ type: "sent", id: frame.id, to, delivery: recipient ? "live" : "queued" });
	}

	/** Messages the client could not show: gone without a receipt, and their ids forgotten. */
	private discard(socket: RelaySocket, seqs: readonly number[]): void {
		const mailbox = this.mailboxOf(socket.phone);
		for (const seq of seqs) {
			const entry = mailbox.entries.get(seq);
			if (!entry) {
				socket.push({ type: "error", code: "unknown_message", message: `No entry ${seq}.` });
				continue;
			}
			mailbox.entries.delete(seq);
			if (entry.type === "message") mailbox.ids.delete(`${entry.from}\n${entry.id}`);
		}
	}

	closed(socket: RelaySocket): void {
		if (this.connections.get(socket.phone) === socket) this.connections.delete(socket.phone);
	}

	private acknowledge(socket: RelaySocket, seqs: readonly number[]): void {
		const mailbox = this.mailboxOf(socket.phone);
		for (const seq of seqs) {
			const entry = mailbox.entries.get(seq);
			if (!entry) {
				socket.push({ type: "error", code: "unknown_message", message: `No entry ${seq}.` });
				continue;
			}
			mailbox.entries.delete(seq);
			if (entry.type !== "message") continue;
			mailbox.ids.delete(`${entry.from}\n${entry.id}`);
			// The receipt is stored with the sender before the message leaves (docs/PROTOCOL.md §Mailbox rules).
			const senderBox = this.mailboxOf(entry.from);
			const receipt: ReceiptFrame = {
				type: "receipt",
				seq: senderBox.nextSeq++,
				to: socket.phone,
				id: entry.id,
				deliveredAt: this.clock++,
			};
			senderBox.entries.set(receipt.seq, receipt);
			this.connections.get(entry.from)?.push(receipt);
		}
	}

	private mailboxOf(phone: string): Mailbox {
		let mailbox = this.mailboxes.get(phone);
		if (!mailbox) {
			mailbox = { nextSeq: 1, entries: new Map(), ids: new Set() };
			this.mailboxes.set(phone, mailbox);
		}
		return mailbox;
	}

	/** For RelaySocket: a client text in. */
	receiveText(socket: RelaySocket, data: string): void {
		const parsed = parseJson(ClientFrame, data, MAX_CHARS);
		if (!parsed.ok) {
			this.invalid.push(`${parsed.message}: ${data.slice(0, 200)}`);
			socket.push({ type: "error", code: "bad_frame", message: parsed.message });
			return;
		}
		this.handle(socket, parsed.value);
	}
}

/** Listener shape shared by every event type: each listener reads the fields its type has. */
type Listener = (event: { data: unknown; code: number; reason: string }) => void;
type EventType = "open" | "message" | "close" | "error";

/** One client's WebSocket as the client sees it; every delivery is asynchronous, in order. */
class RelaySocket implements SocketLike {
	readyState = CONNECTING;
	authenticated = false;
	private readonly listeners = new Map<EventType, Listener[]>();

	constructor(
		private readonly relay: FakeRelay,
		readonly phone: Phone,
		private readonly options: SocketOptions,
	) {
		queueMicrotask(() => {
			if (this.readyState !== CONNECTING) return;
			this.readyState = OPEN;
			this.emit("open", { data: undefined, code: 0, reason: "" });
		});
	}

	send(data: string): void {
		if (this.readyState !== OPEN) throw new Error("not open");
		if (this.options.muted?.()) return;
		// Like a WebSocket, what was sent before close() still arrives.
		queueMicrotask(() => this.relay.receiveText(this, data));
	}

	close(code = 1000, reason = ""): void {
		if (this.readyState === CLOSED) return;
		this.readyState = CLOSED;
		this.relay.closed(this);
		queueMicrotask(() => this.emit("close", { data: undefined, code, reason }));
	}

	addEventListener(type: EventType, listener: Listener): void {
		this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
	}

	push(frame: ServerFrame): void {
		if (this.readyState !== OPEN) return;
		this.relay.onDeliver?.(this.phone, frame);
		const data = JSON.stringify(frame);
		queueMicrotask(() => {
			if (this.readyState === OPEN) this.emit("message", { data, code: 0, reason: "" });
		});
	}

	closeFromRelay(code: number, reason: string): void {
		this.close(code, reason);
	}

	private emit(type: EventType, event: { data: unknown; code: number; reason: string }): void {
		for (const listener of this.listeners.get(type) ?? []) listener(event);
	}
}

class HttpError extends Error {
	constructor(
		readonly code: RelayErrorCode,
		message: string,
	) {
		super(message);
	}
}

function parse<S extends v.GenericSchema<unknown, unknown>>(schema: S, text: string): v.InferOutput<S> {
	const parsed = parseJson(schema, text, MAX_CHARS);
	if (!parsed.ok) throw new HttpError("bad_request", parsed.message);
	return parsed.value;
}

function status(account: Account) {
	return {
		oneTimePrekeys: account.oneTimePrekeys.length,
		oneTimePrekeyIds: account.oneTimePrekeys.map((key) => key.keyId),
		signedPrekeyId: account.signedPrekey?.keyId ?? null,
		signedPrekeyKem: account.signedPrekey?.kemPublicKey !== undefined,
		kemPrekeyIds: account.kemPrekeys.map((key) => key.keyId),
	};
}

function canonical(input: string): string {
	const parsed = normalisePhone(input);
	return parsed.ok ? parsed.phone : input;
}

function json(body: unknown, statusCode = 200): Response {
	return new Response(JSON.stringify(body), {
		status: statusCode,
		headers: { "content-type": "application/json" },
	});
}
