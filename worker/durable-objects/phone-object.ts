// One Durable Object per phone number (docs/PROTOCOL.md §Architecture). It owns everything about that
// phone: the pending verification code, the registration and tokens, the published prekeys, the one
// WebSocket (accepted with the hibernation API, so an idle connection costs nothing), the capped
// offline mailbox, the outbox of receipts it owes to others, and its Web Push subscriptions.
//
// Objects are addressed by the phone's E.164 string (`env.PHONE.getByName(phone)`), so the Worker
// never needs a lookup table, every per-phone limit is exact because one object sees all traffic, and
// the object knows its phone from its name (phone-name.ts): no call has to tell it.
import { DurableObject } from "cloudflare:workers";
import { base64UrlDecodedLength } from "../../protocol/encoding/base64url.ts";
import {
	CLOSE_CODES,
	type ClientFrame,
	type E164,
	type IdentityKeys,
	PING_TEXT,
	PONG_TEXT,
	PROTOCOL_VERSION,
	type PrekeyBundle,
	type PrekeyStatus,
	type PrekeyUpload,
	type PushSubscriptionBody,
	type SendFrame,
	type ServerFrame,
} from "../../protocol/wire/index.ts";
import {
	AttachmentLedger,
	blobKey,
	type Reservation,
	UPLOAD_WINDOW_MS,
} from "../attachments/attachment-ledger.ts";
import { type RelayConfig, relayConfig } from "../config/relay-config.ts";
import { eraseAccount } from "../phone/account-erasure.ts";
import { AlarmSchedule, expiryAlarmAt } from "../phone/alarm-schedule.ts";
import { readClientFrame } from "../phone/client-frame.ts";
import { CoalescingQueue } from "../phone/coalescing-queue.ts";
import { KeyDirectory } from "../phone/key-directory.ts";
import { type FoundEntry, type Hold, MAILBOX_RETENTION_MS, Mailbox } from "../phone/mailbox.ts";
import { NoticeCourier } from "../phone/notice-courier.ts";
import { type Notice, Outbox } from "../phone/outbox.ts";
import { phoneName } from "../phone/phone-name.ts";
import { Registration } from "../phone/registration.ts";
import { migrate } from "../phone/schema.ts";
import { SendLimit } from "../phone/send-limit.ts";
import {
	AUTH_DEADLINE_MS,
	readAttachment,
	type SeqCursor,
	writeAttachment,
} from "../phone/socket-attachment.ts";
import { type IssuedCode, VerificationCodes } from "../phone/verification-codes.ts";
import { PushNotifier } from "../push/push-notifier.ts";
import { failure, type Outcome, type RelayError, success } from "../relay-error.ts";
import { phoneOfToken } from "../security/session-token.ts";
import { UsageMeter } from "./usage-meter.ts";

/** Retry delay for notices another object could not take. */
const OUTBOX_RETRY_MS = 10_000;
/** Messages per call to another phone's object (an RPC carries at most 32 MiB). */
const MAX_MESSAGES_PER_CALL = 64;
/** How long acknowledged entries may wait for another write to be deleted with (see Mailbox). */
const REMOVAL_DELAY_MS = 1_000;
/**
 * How long a notice pushed to a connected phone waits for its ack before it is written to the
 * mailbox: past the clients' lazy ack of receipts (LAZY_ACK_MS, 20 ms, in protocol/client) with room
 * for the round trip. Both objects stay awake (billed duration) meanwhile, so it is kept short: half
 * a second of both costs about what the two rows it saves would (docs/PERFORMANCE.md §Cost model).
 */
const HELD_NOTICE_MS = 500;
/**
 * How long a message pushed to a connected recipient waits for its client's ack before it is written to
 * the mailbox. Clients ack messages as soon as their handler queue is idle (protocol/client), so this
 * is the round trip plus decrypting and saving; both objects are awake meanwhile (docs/PERFORMANCE.md
 * §Cost model), so a slow client costs a row rather than a long wait.
 */
const HELD_MESSAGE_MS = 500;

export interface Delivery {
	delivery: "live" | "queued";
	/**
	 * Set when the recipient's client acknowledged the message while it was held (no row was written):
	 * the receipt rides in this answer instead of a call of its own.
	 */
	deliveredAt?: number;
}

/** A message handed from the sender's object to the recipient's. */
export interface Incoming {
	id: string;
	body: string;
	sentAt: number;
}

export class PhoneObject extends DurableObject<Env> {
	private readonly phone: E164;
	private readonly config: RelayConfig;
	private readonly codes: VerificationCodes;
	private readonly registration: Registration;
	/** Replaced when the account is deleted, so no cached count or entry outlives its rows. */
	private mailbox: Mailbox;
	private readonly outbox: Outbox;
	private readonly keys: KeyDirectory;
	private readonly sendLimit: SendLimit;
	private readonly schedule: AlarmSchedule;
	private readonly push: PushNotifier;
	private readonly attachments: AttachmentLedger;
	/**
	 * Messages to each recipient go one call at a time, in order; what arrives meanwhile is batched
	 * into the next call (and stored there in one commit).
	 */
	private readonly outgoing = new CoalescingQueue<Incoming, Outcome<Delivery>, E164>(
		(to, messages) => this.deliverTo(to, messages),
		MAX_MESSAGES_PER_CALL,
	);
	private readonly courier: NoticeCourier;
	/** Seqs whose ack is being applied (its receipts are on their way): a repeated ack waits for nothing. */
	private readonly acking = new Set<number>();
	private removalTimer: ReturnType<typeof setTimeout> | null = null;
	/** Tells the usage meter the removal timer is no longer pending (null: no meter or no timer). */
	private removalTimerEnds: (() => void) | null = null;
	/** Set to true at registration; back to false only when the account is deleted. */
	private registered = false;
	/** The authenticated socket, remembered between events; re-found after a wake-up. */
	private ready: WebSocket | null = null;
	/** Counts what this object is billed for, when the USAGE_METER var asks (the cost bench); else null. */
	private readonly meter: UsageMeter | null;
	/** The object's storage (through the meter when there is one). */
	private readonly storage: DurableObjectStorage;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		const config = relayConfig(env);
		if (!config.ok) throw new Error(`relay misconfigured: ${config.problems.join("; ")}`);
		this.config = config.config;
		this.meter = this.config.usageMeter ? new UsageMeter() : null;
		this.storage = this.meter ? this.meter.storage(ctx.storage) : ctx.storage;
		const sql = this.storage.sql;
		migrate(sql);
		const phone = phoneName(ctx.id, sql);
		// Every caller reaches the object by name (getByName), so this is an invariant, not input.
		if (phone === null) throw new Error("a phone's object must be reached by its name");
		this.phone = phone;
		this.codes = new VerificationCodes(sql, this.config.codeHashKey, phone, {
			resendIntervalMs: this.config.codeResendIntervalSeconds * 1000,
			perHour: this.config.codesPerHour,
		});
		this.registration = new Registration(sql, this.config.codeHashKey, phone);
		this.sendLimit = new SendLimit(sql);
		this.schedule = new AlarmSchedule(this.storage);
		this.mailbox = this.openMailbox();
		this.outbox = new Outbox(sql);
		this.courier = new NoticeCourier(this.outbox, (target, notices) => this.noticeTo(target, notices));
		this.keys = new KeyDirectory(sql);
		this.push = new PushNotifier(sql, this.config.push, this.config.environment);
		this.attachments = new AttachmentLedger(sql, this.config.attachments);
		// Keep-alives are answered by the runtime without waking the object.
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
	}

	// ── Verification and registration (called by the Worker's HTTP routes) ──────────────────────

	async requestCode(): Promise<Outcome<IssuedCode>> {
		return this.codes.issue(Date.now());
	}

	async confirmCode(code: string, identity: IdentityKeys) {
		// The identity is checked first, so a bad upload does not burn one of the code's checks.
		const identityCheck = await Registration.checkIdentity(identity);
		if (!identityCheck.ok) return identityCheck;
		const checked = await this.codes.check(code, Date.now());
		if (!checked.ok) return checked;
		const registered = await this.registration.register(identity, Date.now());
		this.registered = true;
		// Browsers subscribed by the previous holder of this number must not learn of its messages.
		this.push.removeAll();
		// Whoever held the old token is signed out, including a connected socket.
		this.closeReadySockets(CLOSE_CODES.revoked, "signed in again elsewhere");
		return success(registered);
	}

	/** True when `token` is a live session token of this phone. */
	async authenticate(token: string): Promise<boolean> {
		return phoneOfToken(token) === this.phone && (await this.registration.authenticate(token));
	}

	async revokeToken(token: string): Promise<Outcome<null>> {
		if (!(await this.registration.revoke(token))) return unauthenticated();
		this.push.removeAll();
		this.closeReadySockets(CLOSE_CODES.revoked, "signed out");
		return success(null);
	}

	/**
	 * Deletes the account (docs/PROTOCOL.md §Deleting an account): registration, tokens, keys, prekeys,
	 * mailbox, outbox and push subscriptions, then closes the socket. Receipts this phone still owes are
	 * tried once first, so senders of messages it did read hear so; messages never read are dropped
	 * with the mailbox (their senders never get a delivery receipt).
	 */
	async deleteAccount(token: string): Promise<Outcome<null>> {
		if (!(await this.authenticate(token))) return unauthenticated();
		// The account's files go first: if R2 fails, nothing is deleted and the client may try again.
		if (!(await this.deleteAllAttachments())) {
			return failure(
				"internal",
				"The account's files could not be deleted; nothing was deleted. Try again in a minute.",
			);
		}
		await this.flushOutbox().catch(() => undefined);
		this.push.removeAll();
		this.mailbox.sealHighWater();
		eraseAccount(this.storage);
		this.registered = false;
		if (this.removalTimer !== null) clearTimeout(this.removalTimer);
		this.removalTimer = null;
		this.removalTimerEnds?.();
		this.mailbox = this.openMailbox();
		this.closeReadySockets(CLOSE_CODES.revoked, "account deleted");
		this.setReady(null);
		return success(null);
	}

	// ── Key directory ─────────────────────────────────────────────────────────────────────────

	async uploadPrekeys(token: string, upload: PrekeyUpload): Promise<Outcome<PrekeyStatus>> {
		if (!(await this.authenticate(token))) return unauthenticated();
		const identity = this.registration.identity();
		if (!identity) return unauthenticated();
		return this.keys.upload(identity, upload);
	}

	async prekeyStatus(token: string): Promise<Outcome<PrekeyStatus>> {
		if (!(await this.authenticate(token))) return unauthenticated();
		return success(this.keys.status());
	}

	/** Called on the target's object; the requester was authenticated by its own object. */
	async fetchBundle(requester: E164): Promise<Outcome<PrekeyBundle>> {
		const identity = this.registration.identity();
		if (!identity) return failure("not_registered", `${this.phone} is not registered on FriendLy.`);
		return this.keys.takeBundle(this.phone, identity, requester, Date.now());
	}

	// ── Web Push (docs/PROTOCOL.md §Push notifications) ──────────────────────────────────────────

	async subscribePush(token: string, subscription: PushSubscriptionBody): Promise<Outcome<null>> {
		if (!(await this.authenticate(token))) return unauthenticated();
		return this.push.subscribe(subscription, Date.now());
	}

	async unsubscribePush(token: string, endpoint: string): Promise<Outcome<null>> {
		if (!(await this.authenticate(token))) return unauthenticated();
		return this.push.unsubscribe(endpoint);
	}

	// ── Attachments (docs/PROTOCOL.md §Attachments; the Worker streams the blob to R2) ────────────

	/** Authenticates and reserves `size` bytes of today's quota under a fresh id. */
	async reserveAttachment(token: string, size: number): Promise<Outcome<Reservation>> {
		if (!(await this.authenticate(token))) return unauthenticated();
		const now = Date.now();
		const reserved = this.attachments.reserve(size, now);
		// An upload whose Worker dies mid-way is cleaned up by the alarm once its window is over.
		if (reserved.ok) this.schedule.ensure(expiryAlarmAt(now + UPLOAD_WINDOW_MS));
		return reserved;
	}

	/** R2 has the whole blob: it expires 30 days from now (the alarm deletes it). */
	async confirmAttachment(id: string): Promise<number | null> {
		const expiresAt = this.attachments.confirm(id, Date.now());
		if (expiresAt !== null) this.schedule.ensure(expiryAlarmAt(expiresAt));
		return expiresAt;
	}

	/** The upload failed: its row and its quota are given back (the Worker deleted what R2 may hold). */
	async releaseAttachment(id: string): Promise<void> {
		this.attachments.release(id);
	}

	/** Deletes every blob this phone uploaded from R2 (1000 per call), forgetting each batch once gone. */
	private async deleteAllAttachments(): Promise<boolean> {
		for (;;) {
			const ids = this.attachments.due(Number.MAX_SAFE_INTEGER);
			if (ids.length === 0) return true;
			try {
				await this.env.ATTACHMENTS.delete(ids.map(blobKey));
			} catch (error) {
				console.error(`attachment deletion failed: ${error instanceof Error ? error.name : "unknown"}`);
				return false;
			}
			this.attachments.forget(ids);
		}
	}

	/** Deletes due blobs from R2, then forgets them; a failure is retried by the next alarm. */
	private async expireAttachments(now: number): Promise<void> {
		const due = this.attachments.due(now);
		if (due.length === 0) return;
		try {
			await this.env.ATTACHMENTS.delete(due.map(blobKey));
			this.attachments.expired(due, now);
		} catch (error) {
			console.error(`attachment expiry failed: ${error instanceof Error ? error.name : "unknown"}`);
		}
	}

	// ── Mailbox (called by other phones' objects) ─────────────────────────────────────────────

	/**
	 * Takes a batch of one sender's messages, in order, and answers one outcome per message. To a
	 * connected recipient they are pushed without a row and the call waits (HELD_MESSAGE_MS at most)
	 * for its client's ack: an acknowledged one is answered with its receipt (`deliveredAt`) and never
	 * written; only the others are stored, in one commit, under the seqs they were pushed with. To an
	 * offline recipient they are stored at once. Once one is refused for a full mailbox the rest of the
	 * batch is too, so a later message never overtakes a refused earlier one.
	 */
	async deliver(from: E164, messages: Incoming[]): Promise<Outcome<Delivery>[]> {
		return this.metered("request", () => this.deliverNow(from, messages));
	}

	private async deliverNow(from: E164, messages: Incoming[]): Promise<Outcome<Delivery>[]> {
		if (!this.isRegistered()) {
			const refused = failure(
				"unknown_recipient",
				`${this.phone} is not registered on FriendLy; check the number.`,
			);
			return messages.map(() => refused);
		}
		const socket = this.readySocket();
		let full = false;
		let queued = false;
		let stored = false;
		const waits: { index: number; hold: Hold; own: boolean }[] = [];
		const outcomes = messages.map((message, index): Outcome<Delivery> => {
			const size = base64UrlDecodedLength(message.body);
			if (size > this.config.envelopeMaxBytes) {
				return failure("too_large", `Messages are limited to ${this.config.envelopeMaxBytes} bytes.`);
			}
			const result = full
				? ({ full: true } as const)
				: socket
					? this.mailbox.holdMessage(from, message.id, message.body, size, message.sentAt)
					: this.mailbox.storeMessage(from, message.id, message.body, size, message.sentAt);
			if ("full" in result) {
				full = true;
				return failure(
					"mailbox_full",
					`${this.phone}'s offline mailbox is full; nothing was lost. You will be told when it has room again.`,
				);
			}
			if ("held" in result) {
				if (socket && trySend(socket, result.held.frame)) {
					waits.push({ index, hold: result.held, own: true });
					return success({ delivery: "live" });
				}
				stored = this.mailbox.storeHeld(result.held.seq) !== null || stored;
				queued = true;
				return success({ delivery: "queued" });
			}
			if ("duplicate" in result) {
				// Still held for an earlier call (whose caller may be gone): this one waits for it too.
				if ("hold" in result && result.hold) waits.push({ index, hold: result.hold, own: false });
				return success({ delivery: socket ? "live" : "queued" });
			}
			if (!result.stored) return success({ delivery: socket ? "live" : "queued" });
			stored = true;
			if (socket && trySend(socket, result.frame)) return success({ delivery: "live" });
			queued = true;
			return success({ delivery: "queued" });
		});
		if (full) this.mailbox.refuseSender(from);
		if (waits.length > 0) {
			await waitForAcks(
				waits.map((wait) => wait.hold.acked),
				HELD_MESSAGE_MS,
			);
			for (const { index, hold, own } of waits) {
				if (hold.state === "acked") {
					outcomes[index] = success({ delivery: "live", deliveredAt: Date.now() });
					continue;
				}
				// Not acknowledged in time: written under the seq it was pushed with (by the call that held it).
				if (!own || hold.state !== "held") continue;
				stored = this.storeUnacknowledged(hold.seq, socket) || stored;
			}
		}
		if (!stored) return outcomes;
		const pushAt = queued ? this.push.messageQueued(Date.now()) : null;
		if (pushAt !== null) this.schedule.ensure(pushAt);
		this.schedule.ensure(expiryAlarmAt(Date.now() + MAILBOX_RETENTION_MS));
		this.afterWrite();
		return outcomes;
	}

	/**
	 * Receipts and resume notices from another phone's object, kept until this phone acks them. To a
	 * connected phone they are pushed without a row and the call waits (HELD_NOTICE_MS at most) for the
	 * ack; only those not acknowledged by then are written. The caller keeps owing them until this
	 * call returns, so a notice is never only in this object's memory.
	 */
	async acceptNotices(from: E164, notices: Notice[]): Promise<void> {
		return this.metered("request", () => this.acceptNoticesNow(from, notices));
	}

	private async acceptNoticesNow(from: E164, notices: Notice[]): Promise<void> {
		const socket = this.readySocket();
		if (socket) {
			await this.holdNotices(socket, from, notices);
			return;
		}
		// The receipts of one call (a drain's ack of this phone's messages) are one row (receipt-batch.ts).
		this.mailbox.storeReceipts(
			from,
			notices.filter((notice) => notice.kind === "receipt"),
		);
		for (const notice of notices) {
			if (notice.kind === "resume") this.mailbox.storeNotice(notice.kind, from, notice.messageId, notice.at);
		}
		this.afterNoticesStored();
	}

	private async holdNotices(socket: WebSocket, from: E164, notices: Notice[]): Promise<void> {
		const held: { seq: number; acked: Promise<boolean> }[] = [];
		let stored = false;
		for (const notice of notices) {
			const hold = this.mailbox.holdNotice(notice.kind, from, notice.messageId, notice.at);
			if (!hold) continue;
			if (trySend(socket, hold.frame)) held.push(hold);
			else stored = this.mailbox.storeHeld(hold.seq) !== null || stored;
		}
		if (held.length > 0) {
			await waitForAcks(
				held.map((hold) => hold.acked),
				HELD_NOTICE_MS,
			);
		}
		for (const { seq } of held) stored = this.storeUnacknowledged(seq, socket) || stored;
		if (stored) this.afterNoticesStored();
	}

	/**
	 * Writes an entry still held after its wait under the seq it was pushed with (nothing if it was
	 * acknowledged meanwhile); true when a row was written. A connection newer than `pushedTo` read
	 * its backlog before this row existed, so it gets the entry now.
	 */
	private storeUnacknowledged(seq: number, pushedTo: WebSocket | null): boolean {
		const frame = this.mailbox.storeHeld(seq);
		if (!frame) return false;
		const current = this.readySocket();
		if (current && current !== pushedTo) trySend(current, frame);
		return true;
	}

	private afterNoticesStored(): void {
		this.schedule.ensure(expiryAlarmAt(Date.now() + MAILBOX_RETENTION_MS));
		this.afterWrite();
	}

	// ── WebSocket ─────────────────────────────────────────────────────────────────────────────

	override async fetch(request: Request): Promise<Response> {
		return this.metered("request", async () => this.accept(request));
	}

	private accept(request: Request): Response {
		if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
			return new Response("expected a WebSocket upgrade", { status: 426 });
		}
		const pair = new WebSocketPair();
		const deadline = Date.now() + AUTH_DEADLINE_MS;
		this.ctx.acceptWebSocket(pair[1]);
		writeAttachment(pair[1], { state: "pending", deadline });
		this.schedule.ensure(deadline);
		return new Response(null, { status: 101, webSocket: pair[0] });
	}

	override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		return this.metered("webSocketMessage", () => this.onMessage(ws, message));
	}

	private async onMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		const read = readClientFrame(message, this.config.envelopeMaxBytes);
		if (readAttachment(ws)?.state !== "ready") {
			// Before hello, anything but a valid hello (binary, oversized, malformed) is refused alike.
			await this.onUnauthenticatedFrame(ws, read.ok ? read.frame : null);
			return;
		}
		if (!read.ok) {
			this.reject(ws, { code: read.code, message: read.message, ...read.address });
			return;
		}
		await this.onFrame(ws, read.frame);
	}

	override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
		return this.metered("webSocketMessage", async () => this.onClose(ws, code));
	}

	private onClose(ws: WebSocket, code: number): void {
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
		return this.metered("request", () => this.onAlarm());
	}

	private async onAlarm(): Promise<void> {
		const now = Date.now();
		this.schedule.fired();
		// Expiry frees space like an ack does: senders refused meanwhile must hear they can resume.
		if (this.mailbox.expire(now) > 0) this.releaseRefusedSenders(now);
		await this.expireAttachments(now);
		for (const ws of this.ctx.getWebSockets()) {
			const attachment = readAttachment(ws);
			if (attachment?.state === "pending" && attachment.deadline <= now) {
				ws.close(CLOSE_CODES.authTimeout, "no hello frame in time");
			}
		}
		await this.flushOutbox();
		// Last, and never throwing: a push service's trouble does not hold up the work above.
		if (this.readySocket()) this.push.online();
		else await this.push.sendDue(now);
		this.scheduleNextAlarm(Date.now());
	}

	// ── Frames ────────────────────────────────────────────────────────────────────────────────

	private async onUnauthenticatedFrame(ws: WebSocket, frame: ClientFrame | null): Promise<void> {
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
		if (!(await this.authenticate(frame.token))) {
			this.reject(ws, {
				code: "unauthenticated",
				message: "Token missing, wrong or revoked; register again.",
			});
			ws.close(CLOSE_CODES.unauthenticated, "unauthenticated");
			return;
		}
		// A newer connection replaces the older one: one live connection per phone.
		this.closeReadySockets(CLOSE_CODES.replaced, "replaced by a newer connection");
		// The connection's own block of seqs (one row written: see Mailbox, "Seqs").
		writeAttachment(ws, { state: "ready", connectedAt: Date.now(), seqs: this.mailbox.openBlock() });
		this.setReady(ws);
		this.push.online();
		// Held notices go to the table, where the backlog is read; acknowledged entries whose receipts
		// are on their way are leaving and not sent again.
		this.mailbox.storeAllHeld();
		const backlog = this.mailbox.entries(this.acking);
		trySend(ws, { type: "ready", protocol: PROTOCOL_VERSION, phone: this.phone, pending: backlog.length });
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
	 * The mailbox entries an ack or a discard names (those already being acknowledged are skipped); seqs
	 * not in this mailbox are answered `unknown_message`.
	 */
	private findOwnEntries(ws: WebSocket, seqs: number[]): FoundEntry[] {
		const { found, unknown } = this.mailbox.find(seqs.filter((seq) => !this.acking.has(seq)));
		if (unknown.length > 0) {
			this.reject(ws, {
				code: "unknown_message",
				message: `Not in your mailbox (already acknowledged?): seq ${unknown.slice(0, 10).join(", ")}.`,
			});
		}
		return found;
	}

	/**
	 * Applies an ack. A message's receipt goes to its sender's object first and the entry leaves after,
	 * so a crash in between means a redelivery and a second (idempotent) receipt, never a lost one, and
	 * the common case needs no outbox rows. A receipt whose target cannot be reached is written to the
	 * outbox and retried by the alarm. The rows themselves are deleted with the object's next write
	 * (Mailbox.removeLater), so an ack costs no commit of its own.
	 */
	private async onAck(ws: WebSocket, seqs: number[]): Promise<void> {
		const all = this.findOwnEntries(ws, seqs);
		// Held entries (pushed without a row) end here, with nothing to delete: a message's receipt rides
		// in the answer of the deliver call that holds it, a notice's caller stops waiting.
		const found = all.filter((entry) => !this.mailbox.isHeld(entry.seq));
		this.mailbox.removeLater(all.filter((entry) => this.mailbox.isHeld(entry.seq)));
		const messages = found.filter((entry) => entry.kind === "message");
		this.mailbox.removeLater(found.filter((entry) => entry.kind !== "message"));
		if (messages.length > 0) {
			for (const entry of messages) this.acking.add(entry.seq);
			// Room for new messages at once, though the receipts may take a while (holdNotices).
			this.mailbox.release(messages);
			try {
				const now = Date.now();
				const retryLater = await this.courier.sendReceipts(this.phone, messages, now);
				this.mailbox.removeLater(messages);
				// The senders' objects held the receipts a while: these waited long enough for a write.
				if (Date.now() - now >= REMOVAL_DELAY_MS) {
					this.mailbox.applyPendingRemovals();
					this.afterWrite();
				}
				if (retryLater) this.schedule.ensure(now + OUTBOX_RETRY_MS);
				if (this.releaseRefusedSenders(now)) this.ctx.waitUntil(this.flushOutbox());
			} finally {
				for (const entry of messages) this.acking.delete(entry.seq);
			}
		}
		this.scheduleRemovals();
	}

	/**
	 * Removes messages the client could not show: no receipt (the sender hears why from the recipient's
	 * delivery notice, end to end), and the row goes at once, so a resend under the same id is stored again.
	 */
	private onDiscard(ws: WebSocket, seqs: number[]): void {
		const found = this.findOwnEntries(ws, seqs);
		if (found.length === 0) return;
		const now = Date.now();
		this.mailbox.removeLater(found, { forget: true });
		// Written now, not with the next write: until the row is gone, a resend under the same id would be
		// taken for the stored copy. Discards are rare (a failure path), so the commit is affordable.
		this.mailbox.applyPendingRemovals();
		this.afterWrite();
		if (this.releaseRefusedSenders(now)) this.ctx.waitUntil(this.flushOutbox());
	}

	/** A write just carried any pending removals with it: the timer that would write them alone can go. */
	private afterWrite(): void {
		if (this.removalTimer !== null && !this.mailbox.hasPendingRemovals()) {
			clearTimeout(this.removalTimer);
			this.removalTimer = null;
			this.removalTimerEnds?.();
		}
	}

	/** Pending removals ride on the next write; if none comes soon, they are written on their own. */
	private scheduleRemovals(): void {
		if (this.removalTimer !== null || !this.mailbox.hasPendingRemovals()) return;
		const awake = this.meter?.keepAwake();
		this.removalTimer = setTimeout(() => {
			this.removalTimer = null;
			this.mailbox.applyPendingRemovals();
			awake?.();
		}, REMOVAL_DELAY_MS);
		this.removalTimerEnds = awake ?? null;
	}

	/** Sends are never to oneself (onSend refuses them), so the recipient is always another object. */
	private deliverTo(to: E164, messages: Incoming[]): Promise<Outcome<Delivery>[]> {
		return this.env.PHONE.getByName(to).deliver(this.phone, messages);
	}

	private noticeTo(target: E164, notices: Notice[]): Promise<void> {
		// Mailboxes from before self-sends were refused may still owe this phone a notice.
		return target === this.phone
			? this.acceptNoticesNow(this.phone, notices)
			: this.env.PHONE.getByName(target).acceptNotices(this.phone, notices);
	}

	private async onSend(ws: WebSocket, frame: SendFrame): Promise<void> {
		const refuse = (error: RelayError) => this.reject(ws, { ...error, id: frame.id, to: frame.to });
		if (frame.to === this.phone) {
			// The messengers never do this; the relay refuses it too rather than keep a path nobody uses.
			refuse({ code: "bad_frame", message: "Messages to your own number are not relayed." });
			return;
		}
		if (base64UrlDecodedLength(frame.body) > this.config.envelopeMaxBytes) {
			refuse({
				code: "too_large",
				message: `Messages are limited to ${this.config.envelopeMaxBytes} bytes.`,
			});
			return;
		}
		const decision = this.sendLimit.take(frame.to, Date.now());
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
		if (!outcome.ok) {
			refuse(outcome.error);
			return;
		}
		const { delivery, deliveredAt } = outcome.value;
		trySend(ws, { type: "sent", id: frame.id, to: frame.to, delivery });
		if (deliveredAt !== undefined) await this.receiptFromAnswer(frame.to, frame.id, deliveredAt);
	}

	/**
	 * The receipt of a message delivered live, which came in the deliver call's answer (the recipient's
	 * object wrote nothing): pushed right after `sent`, in the order clients always saw them, and held
	 * until the client acks it, or written if it has not within HELD_NOTICE_MS or is not connected
	 * (acceptNotices' rules). Had the recipient's object been lost before answering, the sender gets
	 * `internal` and resends, and the redelivery (dropped by the recipient's client as a repeat) brings
	 * the receipt again. What this object alone holds is the receipt during its hold: lost only if this
	 * object is lost then and the frame already pushed does not reach the client or its handler
	 * (docs/PERFORMANCE.md §What was tried: the message itself is never at stake).
	 */
	private async receiptFromAnswer(to: E164, id: string, at: number): Promise<void> {
		await this.acceptNoticesNow(to, [{ kind: "receipt", messageId: id, at }]);
	}

	// ── Helpers ───────────────────────────────────────────────────────────────────────────────

	/** One billed event, counted when the usage meter is on. */
	private metered<T>(kind: "request" | "webSocketMessage", work: () => Promise<T>): Promise<T> {
		return this.meter ? this.meter.event(kind, work) : work();
	}

	/** Queues "resume" notices for senders refused while the mailbox was full; true when any were. */
	private releaseRefusedSenders(now: number): boolean {
		const refused = this.mailbox.releaseRefusedSenders();
		for (const phone of refused) this.outbox.add("resume", phone, "", now);
		return refused.length > 0;
	}

	/** Sends what waits in the outbox; arms the retry if some of it failed again. */
	private async flushOutbox(): Promise<void> {
		if (await this.courier.flushOutbox()) this.schedule.ensure(Date.now() + OUTBOX_RETRY_MS);
	}

	/** What the alarm must come back for: expiry, hello deadlines, outbox retries, pushes owed. */
	private scheduleNextAlarm(now: number): void {
		const needed: number[] = [];
		const expiry = this.mailbox.nextExpiry();
		if (expiry !== null) needed.push(expiryAlarmAt(expiry));
		const blobExpiry = this.attachments.nextExpiry();
		if (blobExpiry !== null) needed.push(expiryAlarmAt(blobExpiry));
		for (const ws of this.ctx.getWebSockets()) {
			const attachment = readAttachment(ws);
			if (attachment?.state === "pending") needed.push(attachment.deadline);
		}
		if (!this.outbox.isEmpty()) needed.push(now + OUTBOX_RETRY_MS);
		const push = this.push.nextDue();
		if (push !== null) needed.push(push);
		this.schedule.rearm(now, needed);
	}

	private openMailbox(): Mailbox {
		return new Mailbox(this.storage.sql, {
			maxMessages: this.config.mailboxMaxMessages,
			maxBytes: this.config.mailboxMaxBytes,
		});
	}

	private readySocket(): WebSocket | null {
		if (this.ready?.readyState === WebSocket.OPEN) return this.ready;
		let found: WebSocket | null = null;
		for (const ws of this.ctx.getWebSockets()) {
			if (readAttachment(ws)?.state === "ready" && ws.readyState === WebSocket.OPEN) found = ws;
		}
		this.setReady(found);
		return found;
	}

	/** Remembers the authenticated socket; the mailbox takes its seqs from that socket's block. */
	private setReady(ws: WebSocket | null): void {
		this.ready = ws;
		const attachment = ws ? readAttachment(ws) : null;
		if (!ws || attachment?.state !== "ready") {
			this.mailbox.useSeqs(null);
			return;
		}
		this.mailbox.useSeqs({
			cursor: attachment.seqs ?? null,
			save: (seqs: SeqCursor) => {
				const current = readAttachment(ws);
				if (current?.state === "ready") writeAttachment(ws, { ...current, seqs });
			},
		});
	}

	private isRegistered(): boolean {
		if (!this.registered) this.registered = this.registration.isRegistered();
		return this.registered;
	}

	private closeReadySockets(code: number, reason: string): void {
		for (const ws of this.ctx.getWebSockets()) {
			if (readAttachment(ws)?.state === "ready") ws.close(code, reason);
		}
	}

	private reject(ws: WebSocket, error: RelayError & { id?: string; to?: E164 }): void {
		trySend(ws, { type: "error", ...error });
	}
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

/** Waits until every hold in `acks` has ended (acknowledged or not), or `ms`. */
async function waitForAcks(acks: Promise<boolean>[], ms: number): Promise<void> {
	let timer: ReturnType<typeof setTimeout> | null = null;
	await Promise.race([
		Promise.all(acks),
		new Promise((resolve) => {
			timer = setTimeout(resolve, ms);
		}),
	]);
	if (timer !== null) clearTimeout(timer);
}
