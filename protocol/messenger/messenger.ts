// The client core shared by the CLI and the web app: one logged-in phone talking to the relay.
// It joins the relay client (protocol/client) and the E2E library (protocol/session) and adds what
// every FriendLy client must do the same way:
// - each incoming message is decrypted, stored in history, shown (an event), and only then
//   acknowledged, so a crash in between means redelivery, never loss;
// - replays are dropped, forged or undecryptable envelopes are discarded and reported, never shown;
// - "delivered" is true: a message the recipient could not show (no session, unknown prekey, retired
//   session, a key it rejected) is discarded at the relay without a receipt, and the recipient's client
//   tells the sender with a signed delivery notice; the sender marks it not delivered and sends it
//   again, once, over a new session (after its user accepted the recipient's key if that changed);
// - a message signed by a key other than the pinned one (a new or an earlier key of the contact) is a
//   key change: it is held, unacknowledged, while the user compares safety numbers and accepts or
//   rejects; messages of the pinned key's sessions keep arriving meanwhile; sending is blocked;
// - every send ends in a stored status: sent / queued / delivered (receipt) / failed with a reason;
//   a send the relay did not confirm because it could not be reached (or the connection dropped)
//   stays "sending" and is tried again under the same id — with backoff, at every reconnect and at
//   the next start — until it is SEND_RETRY_WINDOW_MS old; only then is it failed;
// - what happens to a conversation besides messages (key changes, trust decisions, failed deliveries)
//   is written into it as a system entry (system-entries.ts);
// - the prekey supply is topped up and the signed prekey rotated whenever the connection comes up.
import {
	type ConnectionState,
	RelayConnection,
	RelayHttpClient,
	type SocketLike,
	type StopReason,
	type Timers,
} from "../client/index.ts";
import { randomId } from "../crypto/webcrypto.ts";
import { encodeBase64Url } from "../encoding/base64url.ts";
import {
	bodyKind,
	bodySessionId,
	type Clock,
	createDeliveryNotice,
	createProtocolContext,
	decryptMessage,
	deliveryNoticeFields,
	encryptMessage,
	getTrustedIdentity,
	type IdentityChangeEvent,
	isProtocolError,
	KeyedLock,
	markIdentityVerified,
	type OpenedDeliveryNotice,
	openDeliveryNotice,
	type ProtocolContext,
	type ProtocolError,
	pinIdentityIfNew,
	prepareKeyUpload,
	publicIdentity,
	type SafetyNumber,
	safetyNumber,
	safetyNumberWith,
	systemClock,
	type TrustedIdentity,
	trustIdentity,
} from "../session/index.ts";
import type { DeliveryNoticeReason, IdentityKeys, MessageFrame, PrekeyBundle } from "../wire/index.ts";
import {
	type AttachmentPointer,
	decodeAttachmentContent,
	encodeAttachmentContent,
} from "./attachments-content.ts";
import type { UserFacingCode } from "./codes.ts";
import { decodeText, encodeText, MAX_TEXT_CHARS } from "./content.ts";
import { notDeliveredText, noticeIdFor } from "./delivery-notices.ts";
import { MessengerError, toMessengerError } from "./errors.ts";
import { validName } from "./names.ts";
import { canonicalPhone, type FetchLike } from "./registration.ts";
import {
	type AccountRecord,
	type ContactRecord,
	type HistoryEntry,
	MESSENGER_STATE_VERSION,
	type MessengerStores,
	type OutgoingStatus,
	type SystemInfo,
} from "./stores.ts";
import { notDeliveredEntryText, SYSTEM_TEXT, systemEntry } from "./system-entries.ts";

export type MessengerEvent =
	/** `reason` says why a "stopped" connection ended: the user closed it, another client took over, or signed out. */
	| { type: "connection"; state: ConnectionState; detail: string; reason?: StopReason }
	| { type: "message"; entry: HistoryEntry }
	/**
	 * A history entry or a contact record was written (after the write): the one change stream a UI can
	 * render from. `message` and `status` say what happened in words; these say what is stored now.
	 */
	| { type: "entry"; entry: HistoryEntry }
	| { type: "contact"; contact: ContactRecord }
	| {
			type: "status";
			peer: string;
			id: string;
			status: OutgoingStatus;
			error?: { code: UserFacingCode; message: string };
	  }
	| { type: "identity_changed"; change: IdentityChangeEvent }
	| { type: "resume"; peer: string }
	| { type: "drained" }
	| { type: "problem"; code: UserFacingCode; message: string; peer?: string };

export interface MessengerOptions {
	stores: MessengerStores;
	onEvent: (event: MessengerEvent) => void;
	clock?: Clock;
	createSocket?: (url: string) => SocketLike;
	timers?: Timers;
	fetch?: FetchLike;
	/** How long a send waits for the relay across reconnects before it is reported failed (default 30 s). */
	sendTimeoutMs?: number;
}

/** What startChat returns; the safety number is computed on request (`safetyNumber()`), as it costs ~0.3 s. */
export interface ChatInfo {
	phone: string;
	verified: boolean;
}

/** How long a message the relay could not be reached for is tried again before it is failed: 24 hours. */
export const SEND_RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Waits between automatic attempts of an unconfirmed send (the last one repeats). */
export const SEND_RETRY_DELAYS_MS: readonly number[] = [2_000, 10_000, 30_000, 120_000, 300_000];

/** Send outcomes that say nothing about the message, only that the relay was not reached: tried again. */
const KEEP_TRYING: ReadonlySet<UserFacingCode> = new Set<UserFacingCode>([
	"connection_lost",
	"relay_unreachable",
]);

/** Relay outcomes after which an automatic re-send is still due (nothing was decided about the message). */
const TRANSIENT_SEND_FAILURES: ReadonlySet<UserFacingCode> = new Set<UserFacingCode>([
	"connection_lost",
	"relay_unreachable",
	"rate_limited",
	"mailbox_full",
	"internal",
]);

/** Status order: a late "sent" must never overwrite "delivered". */
const STATUS_RANK: Record<OutgoingStatus, number> = {
	sending: 0,
	failed: 1,
	sent: 2,
	queued: 2,
	delivered: 3,
};

export class Messenger {
	readonly phone: string;
	private readonly context: ProtocolContext;
	private readonly http: RelayHttpClient;
	private readonly connection: RelayConnection;
	private readonly clock: Clock;
	/** Bundles fetched by startChat, used by the first send so no one-time prekey is wasted. */
	private readonly prefetched = new Map<string, PrekeyBundle>();
	/**
	 * Incoming frames signed by a key other than the contact's pinned one, per contact: unacknowledged
	 * at the relay until the user accepts (replayed) or rejects (replayed, then discarded) the key.
	 */
	private readonly held = new Map<string, MessageFrame[]>();
	/** Ids being sent by this run, so the recovery of unconfirmed sends leaves them alone. */
	private readonly inFlight = new Set<string>();
	/** Serialises the read-modify-write of each contact record (updateContact). */
	private readonly contactLocks = new KeyedLock();
	/** Work started by incoming frames that outlives their handler (automatic re-sends). */
	private readonly background = new Set<Promise<void>>();
	private drainWaiters: (() => void)[] = [];
	private drained = false;
	private readonly timers: Timers;
	/** Unconfirmed sends waiting for their next attempt: the timer, by `peer\nid`. */
	private readonly retries = new Map<string, unknown>();
	/** Automatic attempts so far of each unconfirmed send, by `peer\nid` (for the backoff). */
	private readonly attempts = new Map<string, number>();
	private running = false;

	private constructor(
		private readonly account: AccountRecord,
		private readonly options: MessengerOptions,
	) {
		this.phone = account.phone;
		this.clock = options.clock ?? systemClock;
		this.timers = options.timers ?? {
			setTimeout: (callback, ms) => setTimeout(callback, ms),
			clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
		};
		this.context = createProtocolContext({ phone: account.phone, stores: options.stores, clock: this.clock });
		this.http = new RelayHttpClient(account.relayUrl, options.fetch);
		this.connection = new RelayConnection({
			url: this.http.connectUrl(account.phone),
			token: account.token,
			...(options.createSocket ? { createSocket: options.createSocket } : {}),
			...(options.timers ? { timers: options.timers } : {}),
			...(options.sendTimeoutMs !== undefined ? { sendTimeoutMs: options.sendTimeoutMs } : {}),
			handlers: {
				message: (frame) => this.onMessage(frame),
				receipt: async (frame) => {
					await this.updateStatus(frame.to, frame.id, "delivered");
				},
				resume: (frame) => this.emit({ type: "resume", peer: frame.to }),
				drained: () => this.onDrained(),
				state: (state, detail, reason) => this.onState(state, detail, reason),
				relayError: (frame) => this.emit({ type: "problem", code: frame.code, message: frame.message }),
			},
		});
	}

	static async open(options: MessengerOptions): Promise<Messenger> {
		const account = await options.stores.account.loadAccount();
		if (!account) {
			throw new MessengerError(
				"not_registered",
				"This profile is not registered yet; register a phone number first.",
			);
		}
		return new Messenger(account, options);
	}

	get relayUrl(): string {
		return this.account.relayUrl;
	}

	get connectionState(): ConnectionState {
		return this.connection.state;
	}

	start(): void {
		this.running = true;
		this.connection.start();
		void this.recoverUnconfirmedSends();
	}

	/** Skips the backoff wait and connects now (e.g. when the device says the network is back). */
	reconnectNow(): void {
		this.connection.reconnectNow();
	}

	stop(): void {
		this.running = false;
		for (const timer of this.retries.values()) this.timers.clearTimeout(timer);
		this.retries.clear();
		this.connection.stop();
	}

	/**
	 * Resolves once the background work started so far has finished (automatic re-sends after a
	 * delivery notice or an accepted key): a command-line run waits for it before it exits.
	 */
	async settled(): Promise<void> {
		while (this.background.size > 0) await Promise.allSettled([...this.background]);
	}

	/** Resolves once the backlog waiting at connect time has been handled (decrypted, stored, acked). */
	waitForDrain(): Promise<void> {
		if (this.drained) return Promise.resolve();
		return new Promise((resolve) => this.drainWaiters.push(resolve));
	}

	/** Verifies the contact's keys (fetching the bundle on first contact) and returns the safety number. */
	async startChat(peerInput: string): Promise<ChatInfo> {
		const peer = this.peer(peerInput);
		try {
			const pinned = await getTrustedIdentity(this.context, peer);
			if (!pinned) {
				const bundle = await this.http.fetchBundle(this.account.token, peer);
				// Trust on first use, compare-and-set: a pin that appeared while the bundle was on its way
				// (a first message from them) is kept, and a different key in the bundle is a key change.
				await pinIdentityIfNew(this.context, peer, bundle.identity);
				this.prefetched.set(peer, bundle);
			}
			await this.touchContact(peer, {});
			return { phone: peer, verified: pinned?.verified ?? false };
		} catch (error) {
			throw toMessengerError(error);
		}
	}

	async safetyNumber(peerInput: string): Promise<{ safetyNumber: SafetyNumber; verified: boolean }> {
		const peer = this.peer(peerInput);
		try {
			const pinned = await getTrustedIdentity(this.context, peer);
			if (!pinned)
				throw new MessengerError("no_session", `No keys known for ${peer} yet; start a chat first.`);
			return { safetyNumber: await safetyNumberWith(this.context, peer), verified: pinned.verified };
		} catch (error) {
			throw toMessengerError(error);
		}
	}

	/** Encrypts, signs and sends; resolves with the stored entry and its status (never rejects for relay outcomes). */
	async send(peerInput: string, text: string): Promise<HistoryEntry> {
		const peer = this.peer(peerInput);
		if (text.length === 0) throw new MessengerError("invalid_argument", "Type a message first.");
		return this.sendNew(peer, text);
	}

	/**
	 * Sends an uploaded attachment (attachments-transfer.ts `uploadAttachment`) with an optional caption,
	 * like `send`: the pointer (blob id, key, digest, …) travels only inside the encrypted message.
	 */
	async sendAttachment(
		peerInput: string,
		attachment: AttachmentPointer,
		caption = "",
	): Promise<HistoryEntry> {
		return this.sendNew(this.peer(peerInput), caption, attachment);
	}

	/** A new outgoing message, stored as `sending` and transmitted; the chat list shows its text, else the file's name. */
	private async sendNew(peer: string, text: string, attachment?: AttachmentPointer): Promise<HistoryEntry> {
		if (text.length > MAX_TEXT_CHARS) throw textTooLong(text.length);
		await this.assertSendable(peer);
		const entry: HistoryEntry = {
			v: MESSENGER_STATE_VERSION,
			peer,
			id: randomId(),
			direction: "out",
			text,
			...(attachment ? { attachment } : {}),
			at: this.clock.now(),
			status: "sending",
		};
		return this.transmit(entry, async () => {
			await this.saveEntry(entry);
			await this.touchContact(peer, { lastAt: entry.at, lastText: text || (attachment?.name ?? "") });
		});
	}

	/**
	 * Sends a failed or unconfirmed message again under its original id, so the relay stores it once and
	 * the recipient shows it once even if the first attempt did arrive.
	 */
	async resend(peerInput: string, id: string): Promise<HistoryEntry> {
		const peer = this.peer(peerInput);
		const entry = await this.options.stores.history.loadEntry(peer, "out", id);
		if (!entry) throw new MessengerError("invalid_argument", "That message is not in this conversation.");
		if ((entry.status !== "failed" && entry.status !== "sending") || this.inFlight.has(id)) return entry;
		await this.assertSendable(peer);
		const { error: _previous, ...rest } = entry;
		const retry: HistoryEntry = { ...rest, status: "sending" };
		return this.transmit(retry, async () => {
			await this.saveEntry(retry);
			this.emit({ type: "status", peer, id, status: "sending" });
		});
	}

	private async assertSendable(peer: string): Promise<void> {
		const contact = await this.options.stores.contacts.loadContact(peer);
		if (contact?.pendingIdentityChange) {
			throw new MessengerError(
				"untrusted_identity",
				`${peer}'s safety number changed. Compare it with them and accept the new key before sending.`,
				{ identityChange: contact.pendingIdentityChange },
			);
		}
	}

	/**
	 * Marks the entry in flight before `record` stores it as "sending", so the recovery of unconfirmed
	 * sends (and a second resend) never touches a message this run is still sending.
	 */
	private async transmit(entry: HistoryEntry, record: () => Promise<void>): Promise<HistoryEntry> {
		this.inFlight.add(entry.id);
		try {
			await record();
			const outcome = await this.encryptAndSend(entry);
			// The recipient's "not delivered" can arrive while this attempt still waits for `sent` (a live
			// message's `sent` waits for the recipient's client); its automatic re-send was skipped as in
			// flight and goes now.
			if (outcome.redelivery === "waiting") this.resendLater(entry.peer);
			return outcome;
		} finally {
			this.inFlight.delete(entry.id);
		}
	}

	private async encryptAndSend(entry: HistoryEntry): Promise<HistoryEntry> {
		const { peer, id } = entry;
		let body: string;
		try {
			body = await encryptMessage(this.context, {
				to: peer,
				id,
				plaintext: entry.attachment
					? encodeAttachmentContent(entry.attachment, entry.text, entry.at)
					: encodeText(entry.text, entry.at),
				fetchBundle: () => this.takeBundle(peer),
			});
		} catch (error) {
			const failure = this.describeSendFailure(peer, error);
			if (failure.identityChange) await this.recordIdentityChange(failure.identityChange);
			const reason = { code: failure.code, message: failure.message };
			if (KEEP_TRYING.has(failure.code) && !entry.redelivery) return this.keepTrying(entry, reason);
			// An automatic re-send blocked by a changed key goes out once the user accepted the key.
			const redelivery = entry.redelivery && failure.identityChange ? { redelivery: "waiting" as const } : {};
			return this.saveOutcome({ ...entry, status: "failed", error: reason, ...redelivery });
		}
		const outcome = await this.connection.send(peer, id, body);
		if (outcome.ok) {
			this.attempts.delete(retryKey(peer, id));
			return (await this.updateStatus(peer, id, outcome.delivery === "live" ? "sent" : "queued")) ?? entry;
		}
		const message =
			outcome.retryAfter !== undefined
				? `${outcome.message} (retry in ${outcome.retryAfter} s)`
				: outcome.message;
		if (KEEP_TRYING.has(outcome.code) && !entry.redelivery)
			return this.keepTrying(entry, { code: outcome.code, message });
		if (entry.redelivery && TRANSIENT_SEND_FAILURES.has(outcome.code)) {
			// The automatic re-send did not reach the relay: it stays due (and goes at the next connect).
			return this.saveOutcome({
				...entry,
				status: "failed",
				error: { code: outcome.code, message },
				redelivery: "waiting",
			});
		}
		return (await this.updateStatus(peer, id, "failed", { code: outcome.code, message })) ?? entry;
	}

	/**
	 * Messages still "sending" from an earlier run were never confirmed: they are tried again (at the
	 * next connect, under the same id, so the relay stores them once), or failed once too old.
	 */
	private async recoverUnconfirmedSends(): Promise<void> {
		for (const contact of await this.options.stores.contacts.listContacts()) {
			for (const entry of await this.options.stores.history.listEntries(contact.phone)) {
				if (entry.direction !== "out" || entry.status !== "sending" || this.inFlight.has(entry.id)) continue;
				if (entry.redelivery) {
					// An automatic re-send cut short: it goes again once connected (still the one re-send).
					await this.saveEntry({ ...entry, status: "failed", redelivery: "waiting" });
					continue;
				}
				if (this.tooOldToRetry(entry)) await this.giveUp(entry, undefined);
				else this.scheduleRetry(entry, 0);
			}
		}
	}

	/**
	 * The relay was not reached for this send: it stays "sending" and is tried again later (or failed
	 * with `error` once SEND_RETRY_WINDOW_MS old).
	 */
	private async keepTrying(
		entry: HistoryEntry,
		error: { code: UserFacingCode; message: string },
	): Promise<HistoryEntry> {
		if (this.tooOldToRetry(entry)) return this.giveUp(entry, error);
		const current = await this.options.stores.history.loadEntry(entry.peer, "out", entry.id);
		// Confirmed meanwhile (a receipt overtook the timeout): nothing to retry.
		if (current && current.status !== "sending") return current;
		this.scheduleRetry(entry);
		return current ?? entry;
	}

	private tooOldToRetry(entry: HistoryEntry): boolean {
		return this.clock.now() - entry.at >= SEND_RETRY_WINDOW_MS;
	}

	private async giveUp(
		entry: HistoryEntry,
		error: { code: UserFacingCode; message: string } | undefined,
	): Promise<HistoryEntry> {
		return (
			(await this.updateStatus(entry.peer, entry.id, "failed", {
				code: error?.code ?? "relay_unreachable",
				message: `Not sent: the relay could not be reached for 24 hours${error ? ` (${error.message})` : ""}. Send it again.`,
			})) ?? entry
		);
	}

	/** Schedules the next attempt of an unconfirmed send (`delay` overrides the backoff). */
	private scheduleRetry(entry: HistoryEntry, delay?: number): void {
		if (!this.running) return;
		const key = retryKey(entry.peer, entry.id);
		if (this.retries.has(key)) this.timers.clearTimeout(this.retries.get(key));
		const attempts = (this.attempts.get(key) ?? 0) + (delay === undefined ? 1 : 0);
		this.attempts.set(key, attempts);
		const backoff = SEND_RETRY_DELAYS_MS[Math.min(attempts, SEND_RETRY_DELAYS_MS.length) - 1] ?? 0;
		const wait = Math.min(delay ?? backoff, Math.max(0, entry.at + SEND_RETRY_WINDOW_MS - this.clock.now()));
		const timer = this.timers.setTimeout(() => {
			this.retries.delete(key);
			this.track(this.retrySend(entry.peer, entry.id));
		}, wait);
		this.retries.set(key, timer);
	}

	/**
	 * One automatic attempt of an unconfirmed send. Only while connected: an attempt encrypts a new
	 * ratchet message, and hundreds made while offline would leave the recipient too far behind.
	 */
	private async retrySend(peer: string, id: string): Promise<void> {
		const entry = await this.options.stores.history.loadEntry(peer, "out", id);
		if (entry?.status !== "sending") {
			this.attempts.delete(retryKey(peer, id));
			return;
		}
		if (this.inFlight.has(id) || !this.running) return;
		if (this.tooOldToRetry(entry)) {
			await this.giveUp(entry, undefined);
			return;
		}
		if (this.connection.state !== "online") {
			// Tried again when the connection comes up (onState); meanwhile only the deadline is watched.
			this.scheduleRetry(entry);
			return;
		}
		try {
			await this.assertSendable(peer);
		} catch (error) {
			const failure = toMessengerError(error);
			await this.updateStatus(peer, id, "failed", { code: failure.code, message: failure.message });
			return;
		}
		await this.transmit(entry, async () => undefined);
	}

	/** Tries every unconfirmed send now (the connection just came up). */
	private async retryAllUnconfirmed(): Promise<void> {
		for (const [key, timer] of [...this.retries]) {
			const [peer = "", id = ""] = key.split("\n");
			this.timers.clearTimeout(timer);
			this.retries.delete(key);
			this.track(this.retrySend(peer, id));
		}
	}

	/** The safety number with the contact's new, not yet accepted key (what to compare before accepting), or null. */
	async pendingSafetyNumber(peerInput: string): Promise<SafetyNumber | null> {
		const peer = this.peer(peerInput);
		const change = (await this.options.stores.contacts.loadContact(peer))?.pendingIdentityChange;
		if (!change) return null;
		const local = await this.context.localIdentity();
		return safetyNumber(
			{ phone: this.phone, identity: publicIdentity(local) },
			{ phone: peer, identity: change.current },
		);
	}

	/** Pins the contact's new identity key (after the user compared safety numbers) and releases held messages. */
	async acceptIdentityChange(peerInput: string): Promise<void> {
		const peer = this.peer(peerInput);
		const contact = await this.options.stores.contacts.loadContact(peer);
		// A pending change, or else the key the user rejected earlier (accepting it after all).
		const change = contact?.pendingIdentityChange ?? contact?.rejectedIdentityChange;
		if (!contact || !change) return;
		try {
			await trustIdentity(this.context, peer, change.current);
		} catch (error) {
			throw toMessengerError(error);
		}
		await this.updateContact(peer, (current) => {
			if (!current) return undefined;
			const { pendingIdentityChange: _accepted, rejectedIdentityChange: _rejected, ...rest } = current;
			return rest;
		});
		this.prefetched.delete(peer);
		await this.addSystemEntry(peer, { event: "key_accepted" }, SYSTEM_TEXT.key_accepted);
		await this.replayHeld(peer);
		this.resendLater(peer);
	}

	/**
	 * Refuses the contact's new key: the pin stays, the frames signed by the new key are dropped at the
	 * relay and their sender is told "not delivered" (a signed notice), and sending is unblocked.
	 */
	async rejectIdentityChange(peerInput: string): Promise<void> {
		const peer = this.peer(peerInput);
		const contact = await this.options.stores.contacts.loadContact(peer);
		const change = contact?.pendingIdentityChange;
		if (!contact || !change) return;
		await this.updateContact(peer, (current) => {
			if (!current) return undefined;
			const { pendingIdentityChange: _rejected, ...rest } = current;
			return { ...rest, rejectedIdentityChange: change };
		});
		this.prefetched.delete(peer);
		await this.addSystemEntry(peer, { event: "key_rejected" }, SYSTEM_TEXT.key_rejected);
		await this.replayHeld(peer);
		this.resendLater(peer);
	}

	/** Runs the held frames of `peer` through the usual path again (after the user decided). */
	private async replayHeld(peer: string): Promise<void> {
		const frames = this.held.get(peer) ?? [];
		this.held.delete(peer);
		for (const frame of frames) {
			const outcome = await this.onMessage(frame).catch(() => "hold" as const);
			if (outcome === "ack") this.connection.acknowledge(frame.seq);
			else if (outcome === "discard") this.connection.discard(frame.seq);
		}
	}

	async markVerified(peerInput: string, verified = true): Promise<void> {
		const peer = this.peer(peerInput);
		try {
			const pinned = await getTrustedIdentity(this.context, peer);
			if (!pinned)
				throw new MessengerError("no_session", `No keys known for ${peer} yet; start a chat first.`);
			await markIdentityVerified(this.context, peer, wireIdentity(pinned), verified);
			if (pinned.verified !== verified) {
				const event = verified ? "verified" : "unverified";
				await this.addSystemEntry(peer, { event }, SYSTEM_TEXT[event]);
			}
		} catch (error) {
			throw toMessengerError(error);
		}
	}

	/**
	 * Sets (or with null clears) the user's own name for a contact, stored on this device only. A
	 * contact can be named before any message: its record is created.
	 */
	async setName(peerInput: string, name: string | null): Promise<ContactRecord> {
		const peer = this.peer(peerInput);
		const stored = name === null ? null : validName(name);
		let result: ContactRecord = newContact(peer);
		await this.updateContact(peer, (current) => {
			const { name: _old, ...rest } = current ?? newContact(peer);
			result = stored === null ? rest : { ...rest, name: stored };
			return result;
		});
		return result;
	}

	async contacts(): Promise<ContactRecord[]> {
		return (await this.options.stores.contacts.listContacts()).sort((a, b) => b.lastAt - a.lastAt);
	}

	history(peerInput: string): Promise<HistoryEntry[]> {
		return this.options.stores.history.listEntries(this.peer(peerInput));
	}

	async markRead(peerInput: string): Promise<void> {
		const peer = this.peer(peerInput);
		await this.updateContact(peer, (contact) =>
			contact && contact.unread > 0 ? { ...contact, unread: 0 } : undefined,
		);
	}

	/** Tops up one-time prekeys and rotates the signed prekey if due. */
	async maintainPrekeys(): Promise<void> {
		try {
			const upload = await prepareKeyUpload(this.context, await this.http.prekeyStatus(this.account.token));
			if (upload) await this.http.uploadPrekeys(this.account.token, upload);
		} catch (error) {
			const failure = toMessengerError(error);
			this.emit({
				type: "problem",
				code: failure.code,
				message: `Could not publish new keys: ${failure.message}`,
			});
		}
	}

	// ── Incoming ──────────────────────────────────────────────────────────────────────────────

	private async onMessage(frame: MessageFrame): Promise<"ack" | "hold" | "discard"> {
		if (bodyKind(frame.body) === "notice") return this.onNotice(frame);
		// Written by the save callback (TypeScript cannot see assignments made inside it).
		const saved: { entry?: HistoryEntry; alreadyShown?: boolean } = {};
		try {
			await decryptMessage(this.context, {
				from: frame.from,
				id: frame.id,
				body: frame.body,
				senderIdentity: async () => (await this.http.fetchBundle(this.account.token, frame.from)).identity,
				// Saved before the session state is committed: a crash in between means the envelope is
				// redelivered and decrypts again, never that it is lost.
				save: async (plaintext) => {
					const file = decodeAttachmentContent(plaintext);
					const content = file ?? decodeText(plaintext);
					if (content === null) return;
					const entry: HistoryEntry = {
						v: MESSENGER_STATE_VERSION,
						peer: frame.from,
						id: frame.id,
						direction: "in",
						text: content.text,
						...(file ? { attachment: file.attachment } : {}),
						at: shownTime(content.at, frame.sentAt, this.clock.now()),
						status: "received",
					};
					// Idempotent, and complete at every crash point: a run that stopped after saving but
					// before the session committed decrypts the same message again on redelivery. The entry
					// is written again (same id), and the contact is counted only if that did not happen
					// yet (`lastCountedId`): stopping between the two writes still ends with the contact
					// listed and counted once, and the message is announced (shown) only by the run that
					// counts it — a restarted client shows counted unread messages from its stores.
					await this.saveEntry(entry);
					let counted = false;
					await this.updateContact(frame.from, (current) => {
						if (current?.lastCountedId === frame.id) return undefined;
						counted = true;
						return {
							...newContact(frame.from),
							...current,
							lastAt: Math.max(current?.lastAt ?? 0, entry.at),
							lastText: content.text || (file?.attachment.name ?? ""),
							unread: (current?.unread ?? 0) + 1,
							lastCountedId: frame.id,
						};
					});
					if (counted) saved.entry = entry;
					else saved.alreadyShown = true;
				},
			});
		} catch (error) {
			// A redelivery of a message already saved (and shown): acknowledge it again, show nothing.
			if (isProtocolError(error, "duplicate")) return "ack";
			if (isProtocolError(error, "untrusted_identity") && error.identityChange)
				return this.holdForKeyChange(frame, error.identityChange);
			if (isProtocolError(error)) return this.refuse(frame, error);
			throw error;
		}
		const entry = saved.entry;
		if (saved.alreadyShown) return "ack";
		if (!entry) {
			this.emit({
				type: "problem",
				code: "unsupported_content",
				message: "The message content is in a format this version does not understand; it was skipped.",
				peer: frame.from,
			});
			return "ack";
		}
		this.emit({ type: "message", entry });
		return "ack";
	}

	/**
	 * An envelope that cannot be shown. When its signature verified under the sender's key, the sender
	 * is told with a signed delivery notice (and will send it again over a new session); a forged or
	 * corrupted one is only reported. Either way it leaves the mailbox without a delivery receipt.
	 */
	private async refuse(frame: MessageFrame, error: ProtocolError): Promise<"discard"> {
		const failure = toMessengerError(error);
		if (error.authenticatedFailure) {
			const { reason, session } = error.authenticatedFailure;
			await this.sendNotice(frame, reason, session);
			this.emit({
				type: "problem",
				code: "resend_requested",
				message: `${failure.code}: ${failure.message}`,
				peer: frame.from,
			});
			return "discard";
		}
		this.emit({ type: "problem", code: failure.code, message: failure.message, peer: frame.from });
		return "discard";
	}

	/**
	 * Sends a delivery notice about `frame`. Its id is derived from the failed message and session, so a
	 * notice sent again after a crash is stored once by the relay. Throws when the relay did not take
	 * it for a reason that may pass (offline): the frame then stays in the mailbox and is tried again.
	 */
	private async sendNotice(frame: MessageFrame, reason: DeliveryNoticeReason, session?: Uint8Array) {
		const id = await noticeIdFor(frame.id, session);
		const body = await createDeliveryNotice(this.context, {
			to: frame.from,
			id,
			about: frame.id,
			reason,
			...(session ? { session } : {}),
		});
		const outcome = await this.connection.send(frame.from, id, body);
		if (!outcome.ok && (outcome.code === "connection_lost" || outcome.code === "rate_limited")) {
			throw new MessengerError(outcome.code, outcome.message);
		}
	}

	/** A delivery notice from a contact: one of our messages could not be shown to them. */
	private async onNotice(frame: MessageFrame): Promise<"ack" | "hold" | "discard"> {
		let opened: OpenedDeliveryNotice;
		try {
			opened = await openDeliveryNotice(this.context, {
				from: frame.from,
				id: frame.id,
				body: frame.body,
				apply: (notice) => this.applyNotice(notice),
			});
		} catch (error) {
			if (isProtocolError(error, "duplicate")) return "ack";
			if (isProtocolError(error, "untrusted_identity") && error.identityChange)
				return this.holdForKeyChange(frame, error.identityChange);
			if (isProtocolError(error)) {
				this.emit({
					type: "problem",
					code: error.code,
					message: "A delivery notice that could not be verified was ignored.",
					peer: frame.from,
				});
				return "discard";
			}
			throw error;
		}
		if (opened.reason !== "identity_rejected") this.resendLater(frame.from);
		return "ack";
	}

	/**
	 * Marks the message a notice is about "not delivered". The first time, it is queued for one
	 * automatic re-send over a new session (the library retired the session it failed on); a notice
	 * about the re-sent copy, or a rejection of our key, is final. A notice about an earlier attempt of
	 * a message already re-sent on another session is stale and changes nothing.
	 */
	private async applyNotice(notice: OpenedDeliveryNotice): Promise<void> {
		const entry = await this.options.stores.history.loadEntry(notice.from, "out", notice.about);
		if (!entry) return;
		// A rejected key that was not ours (an envelope someone else made under our phone and this id).
		if (notice.reason === "identity_rejected" && !notice.aboutOurSession) return;
		const final = notice.reason === "identity_rejected" || entry.redelivery !== undefined;
		if (entry.redelivery === "sent" && !notice.aboutActiveSession && notice.reason !== "identity_rejected")
			return;
		const error = {
			code: "not_delivered" as const,
			message: notDeliveredText(notice.from, notice.reason, final),
			reason: notice.reason,
		};
		const { redelivery: _earlier, ...rest } = entry;
		await this.saveOutcome({
			...rest,
			status: "failed",
			error,
			...(final ? (entry.redelivery ? { redelivery: entry.redelivery } : {}) : { redelivery: "waiting" }),
		});
	}

	/** Starts resendWaiting in the background, tracked so `settled()` can wait for it. */
	private resendLater(peer: string): void {
		this.track(this.resendWaiting(peer));
	}

	/** Background work, tracked so `settled()` can wait for it; its failure is not the caller's. */
	private track(promise: Promise<unknown>): void {
		const work = promise.then(
			() => undefined,
			() => undefined,
		);
		this.background.add(work);
		void work.finally(() => this.background.delete(work));
	}

	/**
	 * Sends again, once, the messages a contact reported it could not show — when connected and sending
	 * to them is not blocked by a key change (otherwise at the next connect, or once the key is accepted).
	 */
	private async resendWaiting(peer: string): Promise<void> {
		if (this.connection.state !== "online") return;
		const contact = await this.options.stores.contacts.loadContact(peer);
		if (contact?.pendingIdentityChange) return;
		for (const entry of await this.options.stores.history.listEntries(peer)) {
			if (entry.direction !== "out" || entry.redelivery !== "waiting" || this.inFlight.has(entry.id))
				continue;
			const marked: HistoryEntry = { ...entry, redelivery: "sent" };
			await this.saveEntry(marked);
			await this.resend(peer, entry.id).catch(() => undefined);
		}
	}

	/** Re-sends, once connected, what was still waiting for its automatic re-send. */
	private async resendAllWaiting(): Promise<void> {
		for (const contact of await this.options.stores.contacts.listContacts()) this.resendLater(contact.phone);
	}

	private async holdForKeyChange(
		frame: MessageFrame,
		change: IdentityChangeEvent,
	): Promise<"hold" | "discard"> {
		const contact = await this.options.stores.contacts.loadContact(frame.from);
		if (contact?.rejectedIdentityChange?.current.signingKey === change.current.signingKey) {
			if (bodyKind(frame.body) === "message")
				await this.sendNotice(frame, "identity_rejected", bodySessionId(frame.body));
			else await this.noticeFromRejectedKey(frame);
			return "discard";
		}
		await this.recordIdentityChange(change);
		const frames = this.held.get(frame.from) ?? [];
		if (!frames.some((held) => held.seq === frame.seq)) frames.push(frame);
		this.held.set(frame.from, frames);
		return "hold";
	}

	/**
	 * A notice signed by the key the user rejected (their signatures verified): the phone now answering
	 * for the contact could not read one of our messages. It is not trusted enough to re-send anything,
	 * but the message must not stay "sent" for ever: it is marked not delivered, finally, saying why.
	 */
	private async noticeFromRejectedKey(frame: MessageFrame): Promise<void> {
		const notice = deliveryNoticeFields(frame.body);
		if (!notice) return;
		const entry = await this.options.stores.history.loadEntry(frame.from, "out", notice.about);
		if (!entry || entry.status === "delivered" || entry.status === "failed") return;
		const error = {
			code: "not_delivered" as const,
			message: `Not delivered: ${frame.from} now uses the key you rejected, which could not read it. If they confirm the new key is theirs, accept it and send again.`,
			reason: notice.reason,
		};
		await this.saveOutcome({ ...entry, status: "failed", error });
	}

	private async recordIdentityChange(change: IdentityChangeEvent): Promise<void> {
		const contact = await this.options.stores.contacts.loadContact(change.phone);
		// The key the user rejected, met again (e.g. in the bundle a send fetched): not asked again.
		if (contact?.rejectedIdentityChange?.current.signingKey === change.current.signingKey) return;
		const alreadyKnown =
			contact?.pendingIdentityChange?.current.signingKey === change.current.signingKey &&
			contact.pendingIdentityChange.current.dhKey === change.current.dhKey;
		await this.touchContact(change.phone, { pendingIdentityChange: change });
		if (alreadyKnown) return;
		await this.addSystemEntry(
			change.phone,
			{ event: "safety_number_changed" },
			SYSTEM_TEXT.safety_number_changed,
		);
		this.emit({ type: "identity_changed", change });
	}

	private async updateStatus(
		peer: string,
		id: string,
		status: OutgoingStatus,
		error?: { code: UserFacingCode; message: string },
	): Promise<HistoryEntry | undefined> {
		const entry = await this.options.stores.history.loadEntry(peer, "out", id);
		if (!entry || entry.status === "received") return entry;
		if (STATUS_RANK[status] < STATUS_RANK[entry.status]) return entry;
		// The recipient's "not delivered" can overtake the relay's `sent` (a live message's `sent` waits for
		// the recipient's client): its verdict on this transmission stands; a re-send starts from "sending".
		if (entry.status === "failed" && entry.error?.code === "not_delivered" && status !== "delivered")
			return entry;
		return this.saveOutcome({ ...entry, status, ...(error ? { error } : {}) }, error);
	}

	private onDrained(): void {
		this.drained = true;
		for (const wake of this.drainWaiters.splice(0)) wake();
		this.emit({ type: "drained" });
	}

	private onState(state: ConnectionState, detail: string, reason?: StopReason): void {
		if (state !== "online") this.drained = false;
		if (state === "stopped") for (const wake of this.drainWaiters.splice(0)) wake();
		this.emit({ type: "connection", state, detail, ...(reason ? { reason } : {}) });
		if (state === "online") {
			void this.maintainPrekeys();
			void this.resendAllWaiting();
			void this.retryAllUnconfirmed();
		}
	}

	// ── Helpers ───────────────────────────────────────────────────────────────────────────────

	private async takeBundle(peer: string): Promise<PrekeyBundle> {
		const prefetched = this.prefetched.get(peer);
		this.prefetched.delete(peer);
		return prefetched ?? this.http.fetchBundle(this.account.token, peer);
	}

	private describeSendFailure(
		peer: string,
		error: unknown,
	): { code: UserFacingCode; message: string; identityChange?: IdentityChangeEvent } {
		const failure = toMessengerError(error);
		if (failure.code === "not_registered") {
			return {
				code: "unknown_recipient",
				message: `${peer} is not on FriendLy (not registered); check the number.`,
			};
		}
		return {
			code: failure.code,
			message: failure.message,
			...(failure.identityChange ? { identityChange: failure.identityChange } : {}),
		};
	}

	private async touchContact(
		phone: string,
		changes: Partial<
			Pick<
				ContactRecord,
				| "lastAt"
				| "lastText"
				| "unread"
				| "lastCountedId"
				| "pendingIdentityChange"
				| "rejectedIdentityChange"
			>
		>,
	): Promise<void> {
		await this.updateContact(phone, (contact) => ({ ...newContact(phone), ...contact, ...changes }));
	}

	/**
	 * Stores an outgoing entry's new status, then announces it as a `status` event with `error` (by
	 * default the entry's own, reason included).
	 */
	private async saveOutcome(
		entry: HistoryEntry & { status: OutgoingStatus },
		error = entry.error,
	): Promise<HistoryEntry> {
		await this.saveEntry(entry);
		const { peer, id, status } = entry;
		this.emit({ type: "status", peer, id, status, ...(error ? { error } : {}) });
		// A delivery that ended (not one about to be re-sent automatically) goes into the conversation.
		if (status === "failed" && entry.redelivery !== "waiting" && error) {
			await this.addSystemEntry(
				peer,
				{ event: "not_delivered", about: id, ...(entry.error?.reason ? { reason: entry.error.reason } : {}) },
				notDeliveredEntryText(entry, error.message),
			);
		}
		return entry;
	}

	/** Writes a system entry into the conversation with `peer` (not unread, not the contact's last text). */
	private async addSystemEntry(peer: string, system: SystemInfo, text: string): Promise<void> {
		await this.saveEntry(systemEntry(peer, this.clock.now(), system, text));
	}

	/** Stores a history entry, then tells the UIs (the one change stream for both clients). */
	private async saveEntry(entry: HistoryEntry): Promise<void> {
		await this.options.stores.history.storeEntry(entry);
		this.emit({ type: "entry", entry });
	}

	/**
	 * Read-modify-write of a contact record, one at a time per contact: a message arriving while one is
	 * sent (both update the contact) must not lose the other's change, e.g. the unread count.
	 * `change` returns the record to store, or undefined to leave it as it is.
	 */
	private updateContact(
		phone: string,
		change: (current: ContactRecord | undefined) => ContactRecord | undefined,
	): Promise<void> {
		return this.contactLocks.run(phone, async () => {
			const next = change(await this.options.stores.contacts.loadContact(phone));
			if (!next) return;
			await this.options.stores.contacts.storeContact(next);
			this.emit({ type: "contact", contact: next });
		});
	}

	private peer(input: string): string {
		const peer = canonicalPhone(input);
		if (peer === this.phone)
			throw new MessengerError("invalid_argument", "That is your own number; pick a contact.");
		return peer;
	}

	private emit(event: MessengerEvent): void {
		try {
			this.options.onEvent(event);
		} catch {
			// A failing UI callback must not break delivery or acknowledgement.
		}
	}
}

/**
 * The time to show for a received message: the sender's signed time, unless it is missing or claims
 * to be more than a day ahead of our clock (then the relay's time).
 */
function shownTime(signed: number | undefined, relaySentAt: number, now: number): number {
	if (signed === undefined || signed > now + 24 * 60 * 60 * 1000) return relaySentAt;
	return signed;
}

/** "16,000 characters at most; this one has 23,456 — split it." */
export function textTooLong(length: number): MessengerError {
	const count = (n: number) => n.toLocaleString("en-US");
	return new MessengerError(
		"too_large",
		`${count(MAX_TEXT_CHARS)} characters at most; this one has ${count(length)} — split it.`,
		{ textLength: length },
	);
}

function retryKey(peer: string, id: string): string {
	return `${peer}\n${id}`;
}

function newContact(phone: string): ContactRecord {
	return { v: MESSENGER_STATE_VERSION, phone, unread: 0, lastAt: 0, lastText: "" };
}

function wireIdentity(pinned: TrustedIdentity): IdentityKeys {
	return {
		signingKey: encodeBase64Url(pinned.signingKey),
		dhKey: encodeBase64Url(pinned.dhKey),
		dhKeySignature: encodeBase64Url(pinned.dhKeySignature),
	};
}
