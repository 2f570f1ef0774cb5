// Everything the screens render, in one immutable object. Conversations are loaded from IndexedDB when
// opened and kept current from the Messenger's change stream (entry and contact events); the contact
// list is always loaded.
import type { ConnectionState, StopReason } from "../../../protocol/client/index.ts";
import type { ContactRecord, HistoryEntry, PendingVerification } from "../../../protocol/messenger/stores.ts";
import type { NotificationStatus } from "../push/web-push.ts";

export interface Notice {
	readonly id: number;
	readonly message: string;
	readonly peer?: string;
	/** A notice that a contact's key changed: it goes away once the user looks at that contact. */
	readonly keyChange?: true;
}

export interface AppState {
	/** loading: opening storage; register: no account yet; ready: signed in; failed: cannot run here. */
	readonly phase: "loading" | "register" | "ready" | "failed";
	readonly failure: string | null;
	readonly me: string | null;
	/** The number this tab just deleted (the registration screen confirms it); null otherwise. */
	readonly deletedPhone: string | null;
	/** Phone to prefill when registering again after the relay signed this browser out. */
	readonly lastPhone: string | null;
	/**
	 * A code asked for on this relay and not used yet (kept across reloads until it expires): the
	 * registration screen offers to enter it, or to ask for a new one once the relay allows.
	 */
	readonly pendingVerification: PendingVerification | null;
	readonly connection: {
		readonly state: ConnectionState;
		readonly detail: string;
		/** Why a stopped connection stopped (signed out, replaced by another client, old protocol). */
		readonly reason?: StopReason;
	};
	readonly contacts: readonly ContactRecord[];
	/** Contacts whose current safety number the user marked as verified (the ✓ in the lists). */
	readonly verified: ReadonlySet<string>;
	readonly conversations: ReadonlyMap<string, readonly HistoryEntry[]>;
	readonly notices: readonly Notice[];
	/**
	 * This tab and the Web Lock: running (it holds the lock), waiting (another tab runs FriendLy; this
	 * one is idle until the user moves it here) or stopped (another tab took FriendLy over meanwhile).
	 */
	readonly tab: "running" | "waiting" | "stopped";
	/** Web Push notifications (push/web-push.ts); the prompt is the gentle offer after the first chat. */
	readonly notifications: {
		readonly status: NotificationStatus;
		readonly busy: boolean;
		readonly promptDismissed: boolean;
	};
}

export const initialState: AppState = {
	phase: "loading",
	failure: null,
	me: null,
	deletedPhone: null,
	lastPhone: null,
	pendingVerification: null,
	connection: { state: "connecting", detail: "starting" },
	contacts: [],
	verified: new Set(),
	conversations: new Map(),
	notices: [],
	tab: "running",
	notifications: { status: "checking", busy: false, promptDismissed: false },
};

export function sortContacts(contacts: readonly ContactRecord[]): ContactRecord[] {
	return [...contacts].sort((a, b) => b.lastAt - a.lastAt || a.phone.localeCompare(b.phone));
}

export function upsertContact(contacts: readonly ContactRecord[], contact: ContactRecord): ContactRecord[] {
	return sortContacts([...contacts.filter((c) => c.phone !== contact.phone), contact]);
}

/** Inserts or replaces an entry (same direction and id) and keeps the conversation in time order. */
export function upsertEntry(entries: readonly HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
	const others = entries.filter((e) => !(e.id === entry.id && e.direction === entry.direction));
	return [...others, entry].sort((a, b) => a.at - b.at);
}

export function withVerified(
	verified: ReadonlySet<string>,
	phone: string,
	yes: boolean,
): ReadonlySet<string> {
	if (verified.has(phone) === yes) return verified;
	const next = new Set(verified);
	if (yes) next.add(phone);
	else next.delete(phone);
	return next;
}
