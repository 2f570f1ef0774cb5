// Client-side records the messenger keeps beyond the protocol's own stores: the account (phone, token,
// relay), per-contact state and the local message history. The CLI implements these on disk, the
// browser on IndexedDB, tests in memory (memory-stores.ts). Records are plain structured-cloneable
// data with a version field `v`.
//
// Messenger API for the UIs (issue 16), in short:
// - Names: `ContactRecord.name` is the user's local nickname for a contact (never sent anywhere);
//   `Messenger.setName(peer, name | null)` sets or clears it (trimmed, 1–64 characters, no control
//   characters, else MessengerError `invalid_name`), creating the contact if needed, and emits `contact`.
// - System entries: `HistoryEntry.direction === "system"` marks a line the app wrote into the
//   conversation (`system.event`: safety number changed, verified / unverified, a new key accepted /
//   rejected, a message not delivered — with the notice's `reason` and the message id in `about`).
//   `status` is "received", `text` a short English sentence (UIs may use their own words from
//   `system`); they are not unread and do not become `lastText`. Emitted through the `entry` event.
// - Pending verification: `requestVerificationCode(..., { account })` stores a PendingVerification
//   (phone, relay, when the code expires, when a new one may be asked for); `completeRegistration`
//   clears it; `loadPendingVerification(account, clock)` reads it back, null once it expired.
// - Keep trying: an outgoing entry stays `status: "sending"` while the relay is unreachable or the
//   connection drops, and is sent again under its id with backoff (and at every reconnect, and on the
//   next start) until it is SEND_RETRY_WINDOW_MS (24 h) old; only then does it become `failed`.
//   `send()` then resolves with the entry still "sending"; later outcomes arrive as `status` events.
//   Other refusals (`unknown_recipient`, `mailbox_full`, a changed key, …) fail at once; `resend()`.
// - The text limit: MAX_TEXT_CHARS (16,000 UTF-16 code units); `send()` refuses a longer text with
//   MessengerError `too_large` whose `textLength` is its length ("16,000 characters at most; this one
//   has 23,456 — split it."). Every text within it fits the relay's envelope (content.ts).
import type { IdentityChangeEvent, ProtocolStores } from "../session/index.ts";
import type { DeliveryNoticeReason } from "../wire/index.ts";
import type { AttachmentPointer } from "./attachments-content.ts";
import type { UserFacingCode } from "./codes.ts";

export const MESSENGER_STATE_VERSION = 1;

export interface AccountRecord {
	readonly v: typeof MESSENGER_STATE_VERSION;
	readonly phone: string;
	readonly token: string;
	readonly relayUrl: string;
	readonly registeredAt: number;
}

/** sending → sent (pushed live) | queued (in the offline mailbox) → delivered (receipt), or failed. */
export type OutgoingStatus = "sending" | "sent" | "queued" | "delivered" | "failed";

/** What a system entry in a conversation records. */
export type SystemEvent =
	| "safety_number_changed"
	| "verified"
	| "unverified"
	| "key_accepted"
	| "key_rejected"
	| "not_delivered";

export const SYSTEM_EVENTS: readonly SystemEvent[] = [
	"safety_number_changed",
	"verified",
	"unverified",
	"key_accepted",
	"key_rejected",
	"not_delivered",
];

export interface SystemInfo {
	readonly event: SystemEvent;
	/** For `not_delivered` after a delivery notice: what the recipient's app said. */
	readonly reason?: DeliveryNoticeReason;
	/** For `not_delivered`: the id of the outgoing message it is about. */
	readonly about?: string;
}

export interface HistoryEntry {
	readonly v: typeof MESSENGER_STATE_VERSION;
	readonly peer: string;
	/** The relay message id (unique per sender and recipient); for system entries, a local id. */
	readonly id: string;
	/** `system`: written by this app into the conversation (see `system`), never sent or received. */
	readonly direction: "in" | "out" | "system";
	/** The message (an attachment's caption, "" when none); for system entries a short English sentence. */
	readonly text: string;
	/** A file or picture (attachments-content.ts): fetched and decrypted on demand with its key. */
	readonly attachment?: AttachmentPointer;
	/**
	 * Sent time (ms since epoch): ours for outgoing; for incoming, the sender's signed time from inside
	 * the encrypted content (the relay's unsigned `sentAt` only for senders that do not send one).
	 */
	readonly at: number;
	readonly status: OutgoingStatus | "received";
	/**
	 * Why an outgoing message failed, in words for the user, with the code for programs. `not_delivered`
	 * means the recipient's app said (signed, end to end) that it could not show it; `reason` says why.
	 */
	readonly error?: {
		readonly code: UserFacingCode;
		readonly message: string;
		readonly reason?: DeliveryNoticeReason;
	};
	/**
	 * Automatic re-sending after the recipient reported it could not show the message: `waiting` until
	 * it can be sent over a new session (e.g. after the user accepted a changed key), `sent` once done.
	 * A message is re-sent automatically at most once.
	 */
	readonly redelivery?: "waiting" | "sent";
	/** Present exactly on system entries (`direction: "system"`, `status: "received"`). */
	readonly system?: SystemInfo;
}

export interface ContactRecord {
	readonly v: typeof MESSENGER_STATE_VERSION;
	readonly phone: string;
	/** The user's own name for this contact: stored on this device only, never sent. */
	readonly name?: string;
	readonly unread: number;
	readonly lastAt: number;
	readonly lastText: string;
	/**
	 * The id of the last incoming message counted in `unread` (and announced): a message decrypted again
	 * after a crash is not counted twice.
	 */
	readonly lastCountedId?: string;
	/** A changed identity key the user has not accepted yet: sending is blocked until they do. */
	readonly pendingIdentityChange?: IdentityChangeEvent;
	/**
	 * The last new key the user rejected: messages signed by it are dropped (their sender is told "not
	 * delivered") instead of being asked about again. The user can still accept it later.
	 */
	readonly rejectedIdentityChange?: IdentityChangeEvent;
}

/**
 * A verification code asked for and not used yet: kept so that starting registration again while the
 * code is valid asks for that code (instead of a new one the relay would refuse for a while).
 */
export interface PendingVerification {
	readonly v: typeof MESSENGER_STATE_VERSION;
	readonly phone: string;
	readonly relayUrl: string;
	/** When the code stops working (ms since epoch). */
	readonly expiresAt: number;
	/** When the relay accepts a request for a new code (ms since epoch). */
	readonly resendAt: number;
}

export interface AccountStore {
	loadAccount(): Promise<AccountRecord | undefined>;
	storeAccount(account: AccountRecord): Promise<void>;
	clearAccount(): Promise<void>;
	/** The stored pending verification, expired or not (loadPendingVerification() filters). */
	loadPendingVerification(): Promise<PendingVerification | null>;
	/** Stores it, or with null forgets it. */
	storePendingVerification(pending: PendingVerification | null): Promise<void>;
}

export interface ContactStore {
	loadContact(phone: string): Promise<ContactRecord | undefined>;
	storeContact(contact: ContactRecord): Promise<void>;
	listContacts(): Promise<ContactRecord[]>;
}

export interface HistoryStore {
	/** Inserts, or replaces the entry with the same (peer, direction, id). */
	storeEntry(entry: HistoryEntry): Promise<void>;
	loadEntry(
		peer: string,
		direction: HistoryEntry["direction"],
		id: string,
	): Promise<HistoryEntry | undefined>;
	/** Entries with `peer`, oldest first. */
	listEntries(peer: string): Promise<HistoryEntry[]>;
	/**
	 * Optional: stores many entries of one peer in one write (a restore of thousands of messages);
	 * without it each is stored with storeEntry.
	 */
	storeEntries?(entries: readonly HistoryEntry[]): Promise<void>;
}

export interface MessengerStores extends ProtocolStores {
	readonly account: AccountStore;
	readonly contacts: ContactStore;
	readonly history: HistoryStore;
}
