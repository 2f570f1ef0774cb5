// One Durable Object per phone number (docs/PROTOCOL.md §Architecture). It owns everything about that
// phone: the pending verification code, the registration and tokens, the published prekeys, the one
// WebSocket (accepted with the hibernation API, so an idle connection costs nothing), the capped
// offline mailbox and the outbox of receipts it owes to others.
//
// Objects are addressed by the phone's E.164 string (`env.PHONE.getByName(phone)`), so the Worker
// never needs a lookup table, and every per-phone limit is exact because one object sees all traffic.
import { DurableObject } from "cloudflare:workers";
import { base64UrlDecodedLength } from "../../protocol/encoding/base64url.ts";
import {
	CLOSE_CODES,
	type ClientFrame,
	ClientFrame as ClientFrameSchema,
	type IdentityKeys,
	PING_TEXT,
	PONG_TEXT,
	PROTOCOL_VERSION,
	type PrekeyBundle,
	type PrekeyStatus,
	type PrekeyUpload,
	parseJson,
	type SendFrame,
	type ServerFrame,
} from "../../protocol/wire/index.ts";
import { type RelayConfig, relayConfig } from "../config/relay-config.ts";
import { CoalescingQueue } from "../phone/coalescing-queue.ts";
import { KeyDirectory } from "../phone/key-directory.ts";
import { MAILBOX_RETENTION_MS, Mailbox } from "../phone/mailbox.ts";
import { NoticeCourier } from "../phone/notice-courier.ts";
import { type Notice, Outbox } from "../phone/outbox.ts";
import { Registration } from "../phone/registration.ts";
import { migrate } from "../phone/schema.ts";
import { AUTH_DEADLINE_MS, readAttachment, writeAttachment } from "../phone/socket-attachment.ts";
import { type BucketRule, type BucketState, takeToken } from "../phone/token-bucket.ts";
import { type IssuedCode, VerificationCodes } from "../phone/verification-codes.ts";
import { failure, type Outcome, type RelayError, success } from "../relay-error.ts";
import { phoneOfToken } from "../security/session-token.ts";

/** Sends per sender and recipient: a burst of 60, then one per second. */
export const SEND_RULE: BucketRule = { burst: 60, refillSeconds: 1 };
/** Retry delay for notices another object could not take. */
const OUTBOX_RETRY_MS = 10_000;
/** Messages per call to another phone's object (an RPC carries at most 32 MiB). */
const MAX_MESSAGES_PER_CALL = 64;
/** How long acknowledged entries may wait for another write to be deleted with (see Mailbox). */
const REMOVAL_DELAY_MS = 1_000;
/** JSON overhead allowed around an envelope body in one frame. */
const FRAME_OVERHEAD_CHARS = 2048;

export interface Delivery {
	delivery: "live" | "queued";
}

/** A message handed from the sender's object to the recipient's. */
export interface Incoming {
	id: string;
	body: string;
	sentAt: number;
}

export class PhoneObject extends DurableObject<Env> {
	private readonly config: RelayConfig;
	private readonly mailbox: Mailbox;
	private readonly outbox: Outbox;
	private readonly keys: KeyDirectory;
	/** In memory on purpose: refills faster than an idle object is evicted, and costs no writes. */
	private readonly sendBuckets = new Map<string, BucketState>();
	/**
	 * Messages to each recipient go one call at a time, in order; what arrives meanwhile is batched
	 * into the next call (and stored there in one commit).
	 */
	private readonly outgoing = new CoalescingQueue<Incoming, Outcome<Delivery>>(
		(to, messages) => this.deliverTo(to, messages),
		MAX_MESSAGES_PER_CALL,
	);
	private readonly courier: NoticeCourier;
	/** Seqs whose ack is being applied (its receipts are on their way): a repeated ack waits for nothing. */
	private readonly acking = new Set<number>();
	private removalTimer: ReturnType<typeof setTimeout> | null = null;
	/** Only ever set to true: a registration is replaced, never removed. */
	private registered = false;
	/** False once the table was found empty; unknown (true) after a wake-up. Saves a statement per ack. */
	private mayHaveRefusedSenders = true;
	/** The authenticated socket, remembered between events; re-found after a wake-up. */
	private ready: WebSocket | null = null;
	private alarmAt: number | null | undefined;
	private ownPhone: string | null | undefined;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		const config = relayConfig(env);
		if (!config.ok) throw new Error(`relay misconfigured: ${config.problems.join("; ")}`);
		this.config = config.config;
		migrate(ctx.storage.sql);
		this.mailbox = new Mailbox(ctx.storage.sql, {
			maxMessages: this.config.mailboxMaxMessages,
			maxBytes: this.config.mailboxMaxBytes,
		});
		this.outbox = new Outbox(ctx.storage.sql);
		this.courier = new NoticeCourier(this.outbox, (target, notices) => this.noticeTo(target, notices));
		this.keys = new KeyDirectory(ctx.storage.sql);
		// Keep-alives are answered by the runtime without waking the object.
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
	}

	// ── Verification and registration (called by the Worker's HTTP routes) ──────────────────────

	async requestCode(phone: string): Promise<Outcome<IssuedCode>> {
		this.remember(phone);
		return this.codes(phone).issue(Date.now());
	}

	async confirmCode(phone: string, code: string, identity: IdentityKeys) {
		this.remember(phone);
		// The identity is checked first, so a bad upload does not burn one of the code's checks.
		const identityCheck = await Registration.checkIdentity(identity);
		if (!identityCheck.ok) return identityCheck;
		const checked = await this.codes(phone).check(code, Date.now());
		if (!checked.ok) return checked;
		const registered = await this.registration(phone).register(identity, Date.now());
		this.registered = true;
		// Whoever held the old token is signed out, including a connected socket.
		this.closeReadySockets(CLOSE_CODES.revoked, "signed in again elsewhere");
		return success(registered);
	}

	async authenticate(phone: string, token: string): Promise<boolean> {
		return phoneOfToken(token) === phone && (await this.registration(phone).authenticate(token));
	}

	async revokeToken(phone: string, token: string): Promise<Outcome<null>> {
		if (!(await this.registration(phone).revoke(token))) return unauthenticated();
		this.closeReadySockets(CLOSE_CODES.revoked, "signed out");
		return success(null);
	}

	// ── Key directory ─────────────────────────────────────────────────────────────────────────

	async uploadPrekeys(phone: string, token: string, upload: PrekeyUpload): Promise<Outcome<PrekeyStatus>> {
		if (!(await this.authenticate(phone, token))) return unauthenticated();
		const identity = this.registration(phone).identity();
		if (!identity) return unauthenticated();
		return this.keys.upload(identity, upload);
	}

	async prekeyStatus(phone: string, token: string): Promise<Outcome<PrekeyStatus>> {
		if (!(await this.authenticate(phone, token))) return unauthenticated();
		return success(this.keys.status());
	}

	/** Called on the target's object; the requester was authenticated by its own object. */
	async fetchBundle(phone: string, requester: string): Promise<Outcome<PrekeyBundle>> {
		const identity = this.registration(phone).identity();
		if (!identity) return failure("not_registered", `${phone} is not registered on FriendLy.`);
		return this.keys.takeBundle(phone, identity, requester, Date.now());
	}

	// ── Mailbox (called by other phones' objects) ─────────────────────────────────────────────

	/**
	 * Stores a batch of one sender's messages, in order, in one commit, and pushes them to a connected
	 * socket. Answers one outcome per message. Once one is refused for a full mailbox the rest of the
	 * batch is too, so a later message never overtakes a refused earlier one.
	 */
	async deliver(phone: string, from: string, messages: Incoming[]): Promise<Outcome<Delivery>[]> {
		this.remember(phone);
		if (!this.isRegistered(phone)) {
			const refused = failure(
				"unknown_recipient",
				`${phone} is not registered on FriendLy; check the number.`,
			);
			return messages.map(() => refused);
		}
		const socket = this.readySocket();
		let full = false;
		const outcomes = messages.map((message): Outcome<Delivery> => {
			const size = base64UrlDecodedLength(message.body);
			if (size > this.config.envelopeMaxBytes) {
				return failure("too_large", `Messages are limited to ${this.config.envelopeMaxBytes} bytes.`);
			}
			const stored = full
				? ({ stored: false, full: true } as const)
				: this.mailbox.storeMessage(from, message.id, message.body, size, message.sentAt);
			if ("full" in stored) {
				full = true;
				return failure(
					"mailbox_full",
					`${phone}'s offline mailbox is full; nothing was lost. You will be told when it has room again.`,
				);
			}
			if (!stored.stored) return success({ delivery: socket ? "live" : "queued" });
			return success({ delivery: socket && trySend(socket, stored.frame) ? "live" : "queued" });
		});
		if (full) {
			this.ctx.storage.sql.exec("INSERT OR IGNORE INTO refused_senders (phone) VALUES (?)", from);
			this.mayHaveRefusedSenders = true;
		}
		this.ensureAlarm(expiryAlarmAt(Date.now() + MAILBOX_RETENTION_MS));
		this.afterWrite();
		return outcomes;
	}

	/** Receipts and resume notices from another phone's object, stored until this phone acks them. */
	async acceptNotices(phone: string, from: string, notices: Notice[]): Promise<void> {
		this.remember(phone);
		const socket = this.readySocket();
		for (const notice of notices) {
			const frame = this.mailbox.storeNotice(notice.kind, from, notice.messageId, notice.at);
			if (socket && frame) trySend(socket, frame);
		}
		this.ensureAlarm(expiryAlarmAt(Date.now() + MAILBOX_RETENTION_MS));
		this.afterWrite();
	}

	// ── WebSocket ─────────────────────────────────────────────────────────────────────────────

	override async fetch(request: Request): Promise<Response> {
		const phone = request.headers.get("x-friendly-phone");
		if (!phone || request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
			return new Response("expected a WebSocket upgrade", { status: 426 });
		}
		this.remember(phone);
		const pair = new WebSocketPair();
		const deadline = Date.now() + AUTH_DEADLINE_MS;
		this.ctx.acceptWebSocket(pair[1]);
		writeAttachment(pair[1], { state: "pending", deadline });
		this.ensureAlarm(deadline);
		return new Response(null, { status: 101, webSocket: pair[0] });
	}

	override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		const attachment = readAttachment(ws);
		if (typeof message !== "string") {
			this.reject(ws, {
				code: "bad_frame",
				message: "Binary frames are not supported; send JSON text frames.",
			});
			return;
		}
		const maxChars = Math.ceil((this.config.envelopeMaxBytes * 4) / 3) + FRAME_OVERHEAD_CHARS;
		if (message.length > maxChars) {
			// bad_frame, not too_large: an unparsed frame has no message id to refer to (too_large is the
			// answer to a well-formed `send` whose envelope is over the limit).
			this.reject(ws, {
				code: "bad_frame",
				message: `Frame larger than ${maxChars} characters; messages are limited to ${this.config.envelopeMaxBytes} bytes.`,
			});
			if (attachment?.state !== "ready") ws.close(CLOSE_CODES.unauthenticated, "authenticate first");
			return;
		}
		const parsed = parseJson(ClientFrameSchema, message, maxChars);
		if (attachment?.state !== "ready") {
			await this.onUnauthenticatedFrame(ws, parsed.ok ? parsed.value : null);
			return;
		}
		if (!parsed.ok) {
			this.reject(ws, { code: "bad_frame", message: `Frame rejected: ${parsed.message}.` });
			return;
		}
		await this.onFrame(ws, parsed.value);
	}

	override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
		// Completes the closing handshake; the mailbox keeps everything not yet acknowledged.
		try {
			ws.close(code === 1005 || code === 1006 ? 1000 : code, "closed");
		} catch {
			// Already closed.
		}
	}

	override async webSocketError(): Promise<void> {
		// Nothing to clean up: unacknowledged entries stay in the mailbox for the next connection.
	}

	override async alarm(): Promise<void> {
		const now = Date.now();
		this.alarmAt = null;
		// Expiry frees space like an ack does: senders refused meanwhile must hear they can resume.
		if (this.mailbox.expire(now) > 0) this.releaseRefusedSenders(now);
		for (const ws of this.ctx.getWebSockets()) {
			const attachment = readAttachment(ws);
			if (attachment?.state === "pending" && attachment.deadline <= now) {
				ws.close(CLOSE_CODES.authTimeout, "no hello frame in time");
			}
		}
		await this.flushOutbox();
		this.scheduleNextAlarm(now);
	}

	// ── Frames ────────────────────────────────────────────────────────────────────────────────

	private async onUnauthenticatedFrame(ws: WebSocket, frame: ClientFrame | null): Promise<void> {
		const phone = this.phone();
		if (frame?.type !== "hello") {
			this.reject(ws, { code: "unauthenticated", message: "Send a hello frame with your token first." });
			ws.close(CLOSE_CODES.unauthenticated, "hello expected");
			return;
		}
		if (frame.protocol !== PROTOCOL_VERSION) {
			this.reject(ws, {
				code: "unsupported_protocol",
				message: `This relay speaks protocol ${PROTOCOL_VERSION}, not ${frame.protocol}; update FriendLy.`,
			});
			ws.close(CLOSE_CODES.unsupportedProtocol, "unsupported protocol");
			return;
		}
		if (!phone || !(await this.authenticate(phone, frame.token))) {
			this.reject(ws, {
				code: "unauthenticated",
				message: "Token missing, wrong or revoked; register again.",
			});
			ws.close(CLOSE_CODES.unauthenticated, "unauthenticated");
			return;
		}
		// A newer connection replaces the older one: one live connection per phone.
		this.closeReadySockets(CLOSE_CODES.replaced, "replaced by a newer connection");
		writeAttachment(ws, { state: "ready", connectedAt: Date.now() });
		this.ready = ws;
		const backlog = this.mailbox.entries();
		trySend(ws, { type: "ready", protocol: PROTOCOL_VERSION, phone, pending: backlog.length });
		for (const entry of backlog) trySend(ws, entry);
		trySend(ws, { type: "drained" });
	}

	private async onFrame(ws: WebSocket, frame: ClientFrame): Promise<void> {
		switch (frame.type) {
			case "hello":
				this.reject(ws, { code: "bad_frame", message: "Already authenticated on this connection." });
				return;
			case "ping":
				trySend(ws, { type: "pong" });
				return;
			case "ack":
				await this.onAck(ws, frame.seqs);
				return;
			case "discard":
				this.onDiscard(ws, frame.seqs);
				return;
			case "send":
				await Promise.all([frame.acks ? this.onAck(ws, frame.acks) : undefined, this.onSend(ws, frame)]);
				return;
		}
	}

	/**
	 * Applies an ack. A message's receipt goes to its sender's object first and the entry leaves after,
	 * so a crash in between means a redelivery and a second (idempotent) receipt, never a lost one, and
	 * the common case needs no outbox rows. A receipt whose target cannot be reached is written to the
	 * outbox and retried by the alarm. The rows themselves are deleted with the object's next write
	 * (Mailbox.removeLater), so an ack costs no commit of its own.
	 */
	private async onAck(ws: WebSocket, seqs: number[]): Promise<void> {
		const { found, unknown } = this.mailbox.find(seqs.filter((seq) => !this.acking.has(seq)));
		if (unknown.length > 0) {
			this.reject(ws, {
				code: "unknown_message",
				message: `Not in your mailbox (already acknowledged?): seq ${unknown.slice(0, 10).join(", ")}.`,
			});
		}
		const messages = found.filter((entry) => entry.kind === "message");
		this.mailbox.removeLater(found.filter((entry) => entry.kind !== "message"));
		if (messages.length > 0) {
			for (const entry of messages) this.acking.add(entry.seq);
			try {
				const now = Date.now();
				// An authenticated socket's object always knows its phone.
				const me = this.phone() ?? "";
				const retryLater = await this.courier.sendReceipts(me, messages, now);
				this.mailbox.removeLater(messages);
				if (retryLater) this.ensureAlarm(now + OUTBOX_RETRY_MS);
				// Remembered delivered ids expire too.
				this.ensureAlarm(expiryAlarmAt(now + MAILBOX_RETENTION_MS));
				if (this.releaseRefusedSenders(now)) this.ctx.waitUntil(this.flushOutbox());
			} finally {
				for (const entry of messages) this.acking.delete(entry.seq);
			}
		}
		this.scheduleRemovals();
	}

	/**
	 * Removes messages the client could not show: no receipt (the sender hears why from the recipient's
	 * delivery notice, end to end) and no remembered id, so a resend under the same id is stored again.
	 */
	private onDiscard(ws: WebSocket, seqs: number[]): void {
		const { found, unknown } = this.mailbox.find(seqs.filter((seq) => !this.acking.has(seq)));
		if (unknown.length > 0) {
			this.reject(ws, {
				code: "unknown_message",
				message: `Not in your mailbox (already acknowledged?): seq ${unknown.slice(0, 10).join(", ")}.`,
			});
		}
		if (found.length === 0) return;
		const now = Date.now();
		this.mailbox.removeLater(found, { forget: true });
		// Written now, not with the next write: until the row is gone, a resend under the same id would be
		// taken for the stored copy. Discards are rare (a failure path), so the commit is affordable.
		this.mailbox.applyPendingRemovals(now);
		this.afterWrite();
		if (this.releaseRefusedSenders(now)) this.ctx.waitUntil(this.flushOutbox());
	}

	/** A write just carried any pending removals with it: the timer that would write them alone can go. */
	private afterWrite(): void {
		if (this.removalTimer !== null && !this.mailbox.hasPendingRemovals()) {
			clearTimeout(this.removalTimer);
			this.removalTimer = null;
		}
	}

	/** Pending removals ride on the next write; if none comes soon, they are written on their own. */
	private scheduleRemovals(): void {
		if (this.removalTimer !== null || !this.mailbox.hasPendingRemovals()) return;
		this.removalTimer = setTimeout(() => {
			this.removalTimer = null;
			this.mailbox.applyPendingRemovals(Date.now());
		}, REMOVAL_DELAY_MS);
	}

	private deliverTo(to: string, messages: Incoming[]): Promise<Outcome<Delivery>[]> {
		const me = this.phone() ?? "";
		return to === me
			? this.deliver(me, me, messages)
			: this.env.PHONE.getByName(to).deliver(to, me, messages);
	}

	private noticeTo(target: string, notices: Notice[]): Promise<void> {
		const me = this.phone() ?? "";
		return target === me
			? this.acceptNotices(me, me, notices)
			: this.env.PHONE.getByName(target).acceptNotices(target, me, notices);
	}

	private async onSend(ws: WebSocket, frame: SendFrame): Promise<void> {
		const from = this.phone();
		if (!from) return;
		const refuse = (error: RelayError) => this.reject(ws, { ...error, id: frame.id, to: frame.to });
		if (base64UrlDecodedLength(frame.body) > this.config.envelopeMaxBytes) {
			refuse({
				code: "too_large",
				message: `Messages are limited to ${this.config.envelopeMaxBytes} bytes.`,
			});
			return;
		}
		const decision = takeToken(SEND_RULE, this.sendBuckets.get(frame.to), Date.now());
		this.sendBuckets.set(frame.to, decision.state);
		if (!decision.allowed) {
			refuse({
				code: "rate_limited",
				message: "Sending too fast to this contact; wait and resend.",
				retryAfter: decision.retryAfter,
			});
			return;
		}
		const outcome = await this.outgoing
			.submit(frame.to, { id: frame.id, body: frame.body, sentAt: Date.now() })
			.catch(
				(): Outcome<Delivery> =>
					failure(
						"internal",
						"The recipient's mailbox did not answer; resend the message (it is stored once either way).",
					),
			);
		if (outcome.ok)
			trySend(ws, { type: "sent", id: frame.id, to: frame.to, delivery: outcome.value.delivery });
		else refuse(outcome.error);
	}

	// ── Helpers ───────────────────────────────────────────────────────────────────────────────

	/** Queues "resume" notices for senders refused while the mailbox was full; true when any were. */
	private releaseRefusedSenders(now: number): boolean {
		const usage = this.mailbox.messageUsage();
		if (
			!this.mayHaveRefusedSenders ||
			usage.messages >= this.config.mailboxMaxMessages ||
			usage.bytes >= this.config.mailboxMaxBytes
		)
			return false;
		const refused = this.ctx.storage.sql
			.exec<{ phone: string }>("DELETE FROM refused_senders RETURNING phone")
			.toArray();
		this.mayHaveRefusedSenders = false;
		for (const { phone } of refused) this.outbox.add("resume", phone, "", now);
		return refused.length > 0;
	}

	/** Sends what waits in the outbox; arms the retry if some of it failed again. */
	private async flushOutbox(): Promise<void> {
		if (!this.phone()) return;
		if (await this.courier.flushOutbox()) this.ensureAlarm(Date.now() + OUTBOX_RETRY_MS);
	}

	private ensureAlarm(at: number): void {
		if (this.alarmAt === undefined) {
			// Unknown after eviction: read it once.
			void this.ctx.storage.getAlarm().then((current) => {
				this.alarmAt = current;
				if (current === null || current > at) this.setAlarm(at);
			});
			return;
		}
		if (this.alarmAt === null || this.alarmAt > at) this.setAlarm(at);
	}

	private setAlarm(at: number): void {
		this.alarmAt = at;
		void this.ctx.storage.setAlarm(at);
	}

	private scheduleNextAlarm(now: number): void {
		const candidates: number[] = [];
		const expiry = this.mailbox.nextExpiry();
		if (expiry !== null) candidates.push(expiryAlarmAt(expiry));
		for (const ws of this.ctx.getWebSockets()) {
			const attachment = readAttachment(ws);
			if (attachment?.state === "pending") candidates.push(attachment.deadline);
		}
		if (!this.outbox.isEmpty()) candidates.push(now + OUTBOX_RETRY_MS);
		if (candidates.length > 0) this.setAlarm(Math.max(now + 1, Math.min(...candidates)));
	}

	private readySocket(): WebSocket | null {
		if (this.ready?.readyState === WebSocket.OPEN) return this.ready;
		this.ready = null;
		for (const ws of this.ctx.getWebSockets()) {
			if (readAttachment(ws)?.state === "ready" && ws.readyState === WebSocket.OPEN) this.ready = ws;
		}
		return this.ready;
	}

	private isRegistered(phone: string): boolean {
		if (!this.registered) this.registered = this.registration(phone).isRegistered();
		return this.registered;
	}

	private closeReadySockets(code: number, reason: string): void {
		for (const ws of this.ctx.getWebSockets()) {
			if (readAttachment(ws)?.state === "ready") ws.close(code, reason);
		}
	}

	private reject(ws: WebSocket, error: RelayError & { id?: string; to?: string }): void {
		trySend(ws, { type: "error", ...error });
	}

	private codes(phone: string): VerificationCodes {
		return new VerificationCodes(this.ctx.storage.sql, this.config.codeHashKey, phone, {
			resendIntervalMs: this.config.codeResendIntervalSeconds * 1000,
			perHour: this.config.codesPerHour,
		});
	}

	private registration(phone: string): Registration {
		return new Registration(this.ctx.storage.sql, this.config.codeHashKey, phone);
	}

	/** The object's own phone, kept in storage so alarms and sockets know it after eviction. */
	private remember(phone: string): void {
		if (this.phone() !== null) return;
		this.ctx.storage.sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('phone', ?)", phone);
		this.ownPhone = phone;
	}

	private phone(): string | null {
		if (this.ownPhone === undefined) {
			const row = this.ctx.storage.sql
				.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'phone'")
				.toArray()[0];
			this.ownPhone = row ? row.value : null;
		}
		return this.ownPhone;
	}
}

/** Expiry runs on the hour after an entry's time: one alarm (and one scan, see schema.ts) per hour at most. */
const EXPIRY_GRANULARITY_MS = 3_600_000;

function expiryAlarmAt(expiresAt: number): number {
	return Math.ceil(expiresAt / EXPIRY_GRANULARITY_MS) * EXPIRY_GRANULARITY_MS;
}

function unauthenticated() {
	return failure("unauthenticated", "Your session token is missing, wrong or revoked; register again.");
}

function trySend(ws: WebSocket, frame: ServerFrame): boolean {
	try {
		ws.send(JSON.stringify(frame));
		return true;
	} catch {
		return false;
	}
}
