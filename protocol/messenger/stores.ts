// Client-side records the messenger keeps beyond the protocol's own stores: the account (phone, token,
// relay), per-contact state and the local message history. The CLI implements these on disk, the
// browser on IndexedDB, tests in memory (memory-stores.ts). Records are plain structured-cloneable
// data with a version field `v`.
import type { IdentityChangeEvent, ProtocolStores } from "../session/index.ts";

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
	/** Sent time (ms since epoch): ours for outgoing, the relay's `sentAt` for incoming. */
	readonly at: number;
	readonly status: OutgoingStatus | "received";
	/** Why an outgoing message failed, in words for the user, with the code for programs. */
	readonly error?: { readonly code: string; readonly message: string };
}

export interface ContactRecord {
	readonly v: typeof MESSENGER_STATE_VERSION;
	readonly phone: string;
	readonly unread: number;
	readonly lastAt: number;
	readonly lastText: string;
	/** A changed identity key the user has not accepted yet: sending is blocked until they do. */
	readonly pendingIdentityChange?: IdentityChangeEvent;
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
