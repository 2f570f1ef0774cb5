// Client-side records the messenger keeps beyond the protocol's own stores: the account (phone, token,
// relay), per-contact state and the local message history. The CLI implements these on disk, the
// browser on IndexedDB, tests in memory (memory-stores.ts). Records are plain structured-cloneable
// data with a version field `v`.
import type { IdentityChangeEvent, ProtocolStores } from "../session/index.ts";
import type { DeliveryNoticeReason } from "../wire/index.ts";
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

export interface HistoryEntry {
	readonly v: typeof MESSENGER_STATE_VERSION;
	readonly peer: string;
	/** The relay message id (unique per sender and recipient). */
	readonly id: string;
	readonly direction: "in" | "out";
	readonly text: string;
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
}

export interface ContactRecord {
	readonly v: typeof MESSENGER_STATE_VERSION;
	readonly phone: string;
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

export interface AccountStore {
	loadAccount(): Promise<AccountRecord | undefined>;
	storeAccount(account: AccountRecord): Promise<void>;
	clearAccount(): Promise<void>;
}

export interface ContactStore {
	loadContact(phone: string): Promise<ContactRecord | undefined>;
	storeContact(contact: ContactRecord): Promise<void>;
	listContacts(): Promise<ContactRecord[]>;
}

export interface HistoryStore {
	/** Inserts, or replaces the entry with the same (peer, direction, id). */
	storeEntry(entry: HistoryEntry): Promise<void>;
	loadEntry(peer: string, direction: "in" | "out", id: string): Promise<HistoryEntry | undefined>;
	/** Entries with `peer`, oldest first. */
	listEntries(peer: string): Promise<HistoryEntry[]>;
}

export interface MessengerStores extends ProtocolStores {
	readonly account: AccountStore;
	readonly contacts: ContactStore;
	readonly history: HistoryStore;
}
