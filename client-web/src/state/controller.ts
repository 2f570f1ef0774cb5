// The app's one controller: takes the Web Lock, opens the IndexedDB stores, runs the messenger core
// (shared with the CLI) and turns its events — including its change stream of stored entries and contacts —
// into AppState. Screens call its methods and render the state; they never touch storage or the network.
//
// The messenger only ever sees the stores behind the tab lock's check (storage/guarded.ts): every key
// read before crypto and every write first asks the browser whether this tab still holds the lock, and
// the database's write fence rolls back a write that races a take-over. When the lock is lost the
// messenger stops, the database is closed and the tab says it stopped.
import { RelayHttpClient } from "../../../protocol/client/index.ts";
import { createBackup, type RestoredBackup, restoreBackup } from "../../../protocol/messenger/backup.ts";
import { MessengerError } from "../../../protocol/messenger/errors.ts";
import { type ExportFormat, exportConversation } from "../../../protocol/messenger/export.ts";
import type { AttachmentPointer, AttachmentRelay } from "../../../protocol/messenger/index.ts";
import { type ChatInfo, Messenger, type MessengerEvent } from "../../../protocol/messenger/messenger.ts";
import {
	completeRegistration,
	loadPendingVerification,
	requestVerificationCode,
} from "../../../protocol/messenger/registration.ts";
import type { ContactRecord, HistoryEntry, PendingVerification } from "../../../protocol/messenger/stores.ts";
import { publicIdentity, type SafetyNumber, safetyNumber } from "../../../protocol/session/index.ts";
import { type CodeRequestResponse, normalisePhone } from "../../../protocol/wire/index.ts";
import { downloadFile, type UploadProgress, uploadFile } from "../attachments/web-files.ts";
import { type NotificationStatus, WebPush } from "../push/web-push.ts";
import {
	type BrowserStores,
	claimBrowserStores,
	deleteFriendlyDatabase,
	guardStores,
	openBrowserStores,
	requestPersistentStorage,
	WriteFenceError,
} from "../storage/index.ts";
import {
	type AppState,
	initialState,
	type Notice,
	sortContacts,
	upsertContact,
	upsertEntry,
	withVerified,
} from "./app-state.ts";
import { describeCode, describeError } from "./error-text.ts";
import { contactLabel } from "./format.ts";
import { acquireTabLock, type TabLock } from "./single-tab.ts";
import { Store } from "./store.ts";

/** localStorage flag: the user answered "Not now" to the notifications prompt. */
const PROMPT_DISMISSED_KEY = "friendly.notifications.prompt-dismissed";

/** The contacts whose pinned identity is marked verified. */
async function verifiedContacts(
	stores: BrowserStores,
	contacts: readonly ContactRecord[],
): Promise<Set<string>> {
	const flags = await Promise.all(
		contacts.map(async (c) => (await stores.identities.loadTrustedIdentity(c.phone))?.verified === true),
	);
	return new Set(contacts.filter((_, index) => flags[index]).map((c) => c.phone));
}

export class AppController {
	readonly state = new Store<AppState>(initialState);
	/** The tab's lock and the stores behind it, while this tab runs FriendLy. */
	private lock: TabLock | null = null;
	private stores: BrowserStores | null = null;
	private messenger: Messenger | null = null;
	private activePeer: string | null = null;
	private nextNoticeId = 1;
	private wired = false;
	/** Conversations whose history is being read, with the entries written meanwhile. */
	private readonly loading = new Map<string, HistoryEntry[]>();

	private readonly push: WebPush;
	private refreshing: Promise<void> | null = null;

	constructor(private readonly relayUrl: string) {
		this.push = new WebPush(new RelayHttpClient(relayUrl));
	}

	/** Starts FriendLy in this tab: with `steal`, takes it over from the tab that runs it. */
	async boot(steal = false): Promise<void> {
		let lock: TabLock | null;
		try {
			lock = await acquireTabLock(steal);
		} catch (error) {
			this.set({ phase: "failed", failure: describeError(error) });
			return;
		}
		if (!lock) {
			this.set({ tab: "waiting", phase: "ready" });
			return;
		}
		const held = lock;
		this.lock = held;
		held.onLost(() => this.onTabLost(held));
		this.set({ tab: "running", phase: "loading", failure: null });
		await this.openStores(held);
	}

	/** Opens (and claims) the database under the tab's lock, then the messenger. */
	private async openStores(held: TabLock): Promise<void> {
		let stores: BrowserStores;
		try {
			const opened = await openBrowserStores();
			try {
				await held.assertHeld();
				await claimBrowserStores(opened);
			} catch (error) {
				opened.db.close();
				throw error;
			}
			stores = guardStores(
				opened,
				() => held.assertHeld(),
				(error) => {
					if (error instanceof WriteFenceError) held.markLost();
				},
			);
		} catch (error) {
			if (!held.lost) this.set({ phase: "failed", failure: describeError(error) });
			return;
		}
		if (held.lost) {
			stores.db.close();
			return;
		}
		this.stores = stores;
		if (!this.wired) {
			this.wired = true;
			document.addEventListener("visibilitychange", () => {
				if (document.visibilityState === "visible" && this.activePeer) void this.markRead(this.activePeer);
			});
			// The browser knows when the network is back: no need to wait out the reconnect backoff.
			globalThis.addEventListener("online", () => this.messenger?.reconnectNow());
		}
		await this.openMessenger();
	}

	// ── Registration ─────────────────────────────────────────────────────────────────────────

	/**
	 * Asks the relay for a code; the response says how it was delivered (and carries it with `echo`).
	 * The request is remembered (phone, expiry, when a new code may be asked for), not the code.
	 */
	async requestCode(phone: string): Promise<CodeRequestResponse> {
		const stores = this.requireStores();
		const response = await requestVerificationCode(this.relayUrl, phone, undefined, {
			account: stores.account,
		});
		await this.loadPending(stores);
		return response;
	}

	async register(phone: string, code: string): Promise<void> {
		const stores = this.requireStores();
		await completeRegistration({ relayUrl: this.relayUrl, phone, code, stores, extractable: false });
		void requestPersistentStorage();
		await this.openMessenger();
	}

	/** After the relay revoked this browser's session: forget the account (keys stay) and register again. */
	async registerAgain(): Promise<void> {
		const stores = this.requireStores();
		const me = this.state.get().me;
		this.messenger?.stop();
		this.messenger = null;
		// The relay dropped this browser's push subscription with the session; the browser drops it too.
		await this.push.disable(null).catch(() => undefined);
		this.setNotifications({ status: "off" });
		await stores.account.clearAccount();
		await this.loadPending(stores);
		this.set({ phase: "register", me: null, lastPhone: me, connection: initialState.connection });
	}

	/**
	 * Deletes the account on the relay (docs/PROTOCOL.md §Deleting an account), then, only after the
	 * relay confirmed, this browser's FriendLy database and push subscription; the tab starts over on
	 * the registration screen. `typedPhone` is what the user typed to confirm: it must be this account's
	 * number. Throws (nothing changed) when it is not or the relay did not confirm.
	 */
	async deleteAccount(typedPhone: string): Promise<void> {
		const stores = this.requireStores();
		const held = this.lock;
		const account = await stores.account.loadAccount();
		if (!account || !held) throw new MessengerError("not_registered", "This browser is not registered.");
		const typed = normalisePhone(typedPhone);
		if (!typed.ok || typed.phone !== account.phone) {
			throw new MessengerError(
				"invalid_phone",
				`That is not your number; nothing was deleted. Type ${account.phone} to confirm.`,
			);
		}
		await new RelayHttpClient(this.relayUrl).deleteAccount(account.token, account.phone);
		this.messenger?.stop();
		this.messenger = null;
		// The relay dropped the subscription with the account; the browser drops it too.
		await this.push.disable(null).catch(() => undefined);
		this.stores = null;
		this.loading.clear();
		stores.db.close();
		await deleteFriendlyDatabase();
		try {
			localStorage.removeItem(PROMPT_DISMISSED_KEY);
		} catch {
			// Nothing stored.
		}
		this.state.update(() => ({ ...initialState, deletedPhone: account.phone }));
		if (!held.lost) await this.openStores(held);
	}

	/**
	 * An encrypted backup of this browser's contacts, names, pinned keys and history (docs/PROTOCOL.md
	 * §Backup file), with its recovery key to show once. Never the identity: its keys cannot leave.
	 */
	async backup(): Promise<{ file: Blob; fileName: string; recoveryKey: string; messages: number }> {
		const stores = this.requireStores();
		const made = await createBackup(stores, Date.now());
		const day = new Date().toISOString().slice(0, 10);
		return {
			file: new Blob([made.file], { type: "application/octet-stream" }),
			fileName: `friendly-backup-${day}.friendly`,
			recoveryKey: made.recoveryKey,
			messages: made.messages,
		};
	}

	/** One conversation in the clear (the file says it is not encrypted), for the user's own records. */
	async exportChat(peer: string, format: ExportFormat): Promise<{ file: Blob; fileName: string }> {
		const messenger = this.requireMessenger();
		const name = this.state.get().contacts.find((c) => c.phone === peer)?.name;
		const text = exportConversation(
			{
				me: messenger.phone,
				peer,
				...(name !== undefined ? { name } : {}),
				entries: await messenger.history(peer),
				now: Date.now(),
			},
			format,
		);
		return {
			file: new Blob([text], { type: format === "json" ? "application/json" : "text/plain" }),
			fileName: `friendly-chat-${peer.slice(1)}.${format === "json" ? "json" : "txt"}`,
		};
	}

	/**
	 * Restores a backup file into this browser (before registering, or after); nothing changes when the
	 * key is wrong or the file damaged, cut or from a newer version (MessengerError backup_*).
	 */
	async restore(file: Blob, recoveryKey: string): Promise<RestoredBackup> {
		const stores = this.requireStores();
		const bytes = new Uint8Array(await file.arrayBuffer());
		const restored = await restoreBackup(stores, bytes, recoveryKey);
		if (this.messenger) {
			const contacts = await this.messenger.contacts();
			this.set({ contacts: sortContacts(contacts), verified: await verifiedContacts(stores, contacts) });
		}
		return restored;
	}

	/** After the relay stopped this connection (another client took over): take it back. */
	reconnect(): void {
		this.messenger?.start();
	}

	// ── Conversations ────────────────────────────────────────────────────────────────────────

	/** Fetches and pins the contact's keys on first contact; throws MessengerError (e.g. not registered). */
	startChat(phone: string): Promise<ChatInfo> {
		return this.requireMessenger().startChat(phone);
	}

	/** The conversation on screen: its history is loaded and kept read while the page is visible. */
	async openConversation(peer: string | null): Promise<void> {
		this.activePeer = peer;
		if (!peer || !this.messenger) return;
		// Entries written while the history is being read are buffered, then merged over what was read.
		const buffered: HistoryEntry[] = [];
		this.loading.set(peer, buffered);
		let entries: HistoryEntry[];
		try {
			entries = await this.messenger.history(peer);
		} catch (error) {
			this.addNotice(describeError(error), peer);
			return;
		} finally {
			this.loading.delete(peer);
		}
		const merged = buffered.reduce(upsertEntry, entries);
		this.update((s) => ({ ...s, conversations: new Map(s.conversations).set(peer, merged) }));
		await this.markRead(peer);
	}

	/** Sends; the outcome (sent, queued, failed with the reason) lands in the history entry. */
	async send(peer: string, text: string): Promise<HistoryEntry> {
		return this.requireMessenger().send(peer, text);
	}

	/** Encrypts and uploads a file, then sends it (docs/WEB.md §Files). Rejects with the messenger's codes. */
	async sendFile(peer: string, file: File, onProgress: (progress: UploadProgress) => void) {
		const pointer = await uploadFile(await this.attachmentRelay(), file, onProgress);
		return this.requireMessenger().sendAttachment(peer, pointer, "");
	}

	/** Downloads, checks and decrypts a received (or sent) file. */
	async fetchFile(pointer: AttachmentPointer, onProgress: (done: number, total: number) => void) {
		return downloadFile(await this.attachmentRelay(), pointer, onProgress);
	}

	private async attachmentRelay(): Promise<AttachmentRelay> {
		const account = await this.stores?.account.loadAccount();
		if (!account) throw new MessengerError("unauthenticated", "Register again to send and receive files.");
		return { relayUrl: account.relayUrl, token: account.token };
	}

	/** Sends a failed or unconfirmed message again under its id (shown once even if the first try arrived). */
	async resend(peer: string, id: string): Promise<HistoryEntry> {
		return this.requireMessenger().resend(peer, id);
	}

	safetyNumber(peer: string): Promise<{ safetyNumber: SafetyNumber; verified: boolean }> {
		return this.requireMessenger().safetyNumber(peer);
	}

	/** The safety number with the contact's new, not yet accepted key (to compare before accepting). */
	pendingSafetyNumber(peer: string): Promise<SafetyNumber | null> {
		return this.requireMessenger().pendingSafetyNumber(peer);
	}

	/**
	 * The safety number with the key the user rejected earlier (to compare before accepting it after
	 * all), or null when they rejected none.
	 */
	async rejectedSafetyNumber(peer: string): Promise<SafetyNumber | null> {
		const stores = this.requireStores();
		const me = this.requireMessenger().phone;
		const change = (await stores.contacts.loadContact(peer))?.rejectedIdentityChange;
		if (!change) return null;
		const local = await stores.identities.loadLocalIdentity();
		if (!local) throw new MessengerError("not_registered", "This browser has no FriendLy identity.");
		return safetyNumber(
			{ phone: me, identity: publicIdentity(local) },
			{ phone: peer, identity: change.current },
		);
	}

	/** Pins the contact's new key: the pending change, or else the one the user rejected earlier. */
	async acceptIdentityChange(peer: string): Promise<void> {
		await this.requireMessenger().acceptIdentityChange(peer);
		await this.refreshVerified(peer);
	}

	/**
	 * Keeps the contact's pinned key: messages signed by the new key are not shown (their sender is told
	 * they were not delivered) and sending is unblocked.
	 */
	async rejectIdentityChange(peer: string): Promise<void> {
		await this.requireMessenger().rejectIdentityChange(peer);
		await this.refreshVerified(peer);
	}

	/** Sets (or with null clears) the contact's name on this device; throws MessengerError `invalid_name`. */
	async setName(peer: string, name: string | null): Promise<void> {
		await this.requireMessenger().setName(peer, name);
	}

	async markVerified(peer: string, verified: boolean): Promise<void> {
		await this.requireMessenger().markVerified(peer, verified);
		await this.refreshVerified(peer);
	}

	dismissNotice(id: number): void {
		this.update((s) => ({ ...s, notices: s.notices.filter((n) => n.id !== id) }));
	}

	/** The user is looking at `peer` (their chat or details, which show the key change): no toast for it. */
	dismissKeyChangeNotices(peer: string): void {
		if (!this.state.get().notices.some((n) => n.keyChange && n.peer === peer)) return;
		this.update((s) => ({ ...s, notices: s.notices.filter((n) => !(n.keyChange && n.peer === peer)) }));
	}

	// ── Notifications (Web Push) ─────────────────────────────────────────────────────────────

	/** The user turned notifications on: the browser asks for permission now, never before. */
	async enableNotifications(): Promise<void> {
		await this.changeNotifications(async (token) => this.push.enable(token));
	}

	async disableNotifications(): Promise<void> {
		// Turned off on purpose: the prompt after the first chat is not offered again.
		this.dismissNotificationPrompt();
		await this.changeNotifications(async (token) => {
			await this.push.disable(token);
			return "off";
		});
	}

	/** "Not now" on the prompt after the first chat: it does not come back (settings still can). */
	dismissNotificationPrompt(): void {
		try {
			localStorage.setItem(PROMPT_DISMISSED_KEY, "1");
		} catch {
			// Storage refused: the prompt stays dismissed for this visit only.
		}
		this.setNotifications({ promptDismissed: true });
	}

	private async changeNotifications(change: (token: string) => Promise<NotificationStatus>): Promise<void> {
		const token = (await this.stores?.account.loadAccount())?.token;
		if (!token || this.state.get().notifications.busy) return;
		this.setNotifications({ busy: true });
		try {
			this.setNotifications({ status: await change(token), busy: false });
		} catch (error) {
			this.addNotice(`Notifications could not be changed: ${describeError(error)}`);
			this.setNotifications({
				status: await this.push.status().catch(() => "checking" as const),
				busy: false,
			});
		}
	}

	/** One check at a time: the start and the first "online" may both ask. */
	private refreshNotifications(): Promise<void> {
		this.refreshing ??= this.checkNotifications().finally(() => {
			this.refreshing = null;
		});
		return this.refreshing;
	}

	private async checkNotifications(): Promise<void> {
		let promptDismissed = false;
		try {
			promptDismissed = localStorage.getItem(PROMPT_DISMISSED_KEY) === "1";
		} catch {
			// No storage: the prompt may show again next visit.
		}
		this.setNotifications({ promptDismissed });
		try {
			const status = await this.push.status();
			this.setNotifications({ status });
			const token = (await this.stores?.account.loadAccount())?.token;
			if (status === "on" && token) await this.push.resend(token);
		} catch {
			// The relay did not answer: the settings keep saying "checking" until the next start.
		}
	}

	private setNotifications(partial: Partial<AppState["notifications"]>): void {
		this.update((s) => ({ ...s, notifications: { ...s.notifications, ...partial } }));
	}

	// ── Internals ────────────────────────────────────────────────────────────────────────────

	private async openMessenger(): Promise<void> {
		const stores = this.requireStores();
		let messenger: Messenger;
		try {
			// Events of a messenger whose tab lost its lock (still finishing work that now fails) are not shown.
			messenger = await Messenger.open({
				stores,
				onEvent: (event) => {
					if (this.stores === stores) this.onEvent(event);
				},
			});
		} catch (error) {
			if (this.stores !== stores) return;
			if (error instanceof MessengerError && error.code === "not_registered") {
				await this.loadPending(stores);
				if (this.stores === stores) this.set({ phase: "register" });
				return;
			}
			this.set({ phase: "failed", failure: describeError(error) });
			return;
		}
		let contacts: ContactRecord[];
		try {
			contacts = await messenger.contacts();
		} catch (error) {
			if (this.stores === stores) this.set({ phase: "failed", failure: describeError(error) });
			return;
		}
		let verified: Set<string>;
		try {
			verified = await verifiedContacts(stores, contacts);
		} catch {
			verified = new Set();
		}
		// The tab lost its lock meanwhile: this messenger must not start.
		if (this.stores !== stores) return;
		this.messenger = messenger;
		this.set({ phase: "ready", me: messenger.phone, contacts: sortContacts(contacts), verified });
		messenger.start();
		void this.refreshNotifications();
		if (this.activePeer) await this.openConversation(this.activePeer);
	}

	private onEvent(event: MessengerEvent): void {
		switch (event.type) {
			case "connection":
				this.set({
					connection: {
						state: event.state,
						detail: event.detail,
						...(event.reason ? { reason: event.reason } : {}),
					},
				});
				// The relay did not answer when the app started: ask again now that it does.
				if (event.state === "online" && this.state.get().notifications.status === "checking")
					void this.refreshNotifications();
				return;
			case "problem":
				this.addNotice(
					describeCode(event.code, event.message, event.peer ? { peer: this.label(event.peer) } : {}),
					event.peer,
				);
				return;
			case "resume":
				this.addNotice(
					`${this.label(event.peer)} has room for messages again. You can resend the ones that failed.`,
					event.peer,
				);
				return;
			case "identity_changed":
				// The conversation itself shows the blocking notice; elsewhere, say so once.
				if (event.change.phone !== this.activePeer) {
					this.addNotice(
						`The safety number with ${this.label(event.change.phone)} changed. Open the chat to compare it before you continue.`,
						event.change.phone,
						true,
					);
				}
				return;
			case "entry":
			case "contact":
				this.onStoreChange(event);
				return;
			case "message":
			case "status":
			case "drained":
				// Shown through the stored records (the entry and contact events that come with them).
				return;
		}
	}

	/** The Messenger's change stream: render from what is stored now. */
	private onStoreChange(change: Extract<MessengerEvent, { type: "entry" | "contact" }>): void {
		if (change.type === "contact") {
			this.update((s) => ({ ...s, contacts: upsertContact(s.contacts, change.contact) }));
			// A key change (or its acceptance) changes what is verified: the lists follow the stored flag.
			void this.refreshVerified(change.contact.phone);
			if (change.contact.phone === this.activePeer && change.contact.unread > 0)
				void this.markRead(change.contact.phone);
			return;
		}
		const { entry } = change;
		this.loading.get(entry.peer)?.push(entry);
		this.update((s) => {
			const loaded = s.conversations.get(entry.peer);
			if (!loaded) return s;
			return { ...s, conversations: new Map(s.conversations).set(entry.peer, upsertEntry(loaded, entry)) };
		});
	}

	/** The pending verification for this relay, if its code is still valid (expired ones are forgotten). */
	private async loadPending(stores: BrowserStores): Promise<void> {
		let pending: PendingVerification | null;
		try {
			pending = await loadPendingVerification(stores.account);
		} catch {
			pending = null; // a convenience: without it the user asks for a code again
		}
		if (this.stores !== stores) return;
		this.set({ pendingVerification: pending?.relayUrl === this.relayUrl ? pending : null });
	}

	/** The contact's name on this device, or their number. */
	private label(phone: string): string {
		return contactLabel(
			this.state.get().contacts.find((c) => c.phone === phone),
			phone,
		);
	}

	/** Re-reads whether the contact's pinned key is verified (the ✓ in the lists). */
	private async refreshVerified(peer: string): Promise<void> {
		const stores = this.stores;
		if (!stores) return;
		let verified: boolean;
		try {
			verified = (await stores.identities.loadTrustedIdentity(peer))?.verified === true;
		} catch {
			return; // cosmetic: corrected on the next change
		}
		if (this.stores !== stores) return;
		this.update((s) => ({ ...s, verified: withVerified(s.verified, peer, verified) }));
	}

	private async markRead(peer: string): Promise<void> {
		if (document.visibilityState !== "visible" || !this.messenger) return;
		try {
			await this.messenger.markRead(peer);
		} catch {
			// The unread count is cosmetic; it is corrected on the next visit.
		}
	}

	/** Another tab took FriendLy over: stop everything here and say so. */
	private onTabLost(lock: TabLock): void {
		if (this.lock !== lock) return;
		this.lock = null;
		this.messenger?.stop();
		this.messenger = null;
		this.stores?.db.close();
		this.stores = null;
		this.loading.clear();
		this.set({ tab: "stopped", conversations: new Map(), notices: [] });
	}

	addNotice(message: string, peer?: string, keyChange = false): void {
		const notice: Notice = {
			id: this.nextNoticeId++,
			message,
			...(peer ? { peer } : {}),
			...(keyChange ? { keyChange: true } : {}),
		};
		this.update((s) => ({ ...s, notices: [...s.notices, notice].slice(-4) }));
	}

	/** The guarded stores; throws when this tab does not run FriendLy (never opens storage without the lock). */
	private requireStores(): BrowserStores {
		if (!this.stores) throw new MessengerError("not_registered", "FriendLy is not running in this tab.");
		return this.stores;
	}

	private requireMessenger(): Messenger {
		if (!this.messenger) throw new MessengerError("not_registered", "FriendLy is not running in this tab.");
		return this.messenger;
	}

	private set(partial: Partial<AppState>): void {
		this.update((s) => ({ ...s, ...partial }));
	}

	private update(change: (current: AppState) => AppState): void {
		this.state.update(change);
	}
}
