// MessengerStores for the browser, on one IndexedDB database (schema.ts). The protocol library and the
// messenger core only see the store interfaces; nothing here knows about the UI.
import type { MessengerStores } from "../../../protocol/messenger/stores.ts";
import { IdbAccountStore } from "./account-store.ts";
import { IdbContactStore } from "./contact-store.ts";
import { IdbHistoryStore } from "./history-store.ts";
import { claimWrites, deleteDatabase } from "./idb.ts";
import { IdbIdentityStore } from "./identity-store.ts";
import { IdbPrekeyStore } from "./prekey-store.ts";
import { DB_NAME, LOCAL_KEYS, openFriendlyDatabase, STORES } from "./schema.ts";
import { IdbSessionStore } from "./session-store.ts";

export { guardStores } from "./guarded.ts";
export { StorageUnavailableError, WriteFenceError } from "./idb.ts";

export interface BrowserStores extends MessengerStores {
	readonly db: IDBDatabase;
}

export async function openBrowserStores(name?: string): Promise<BrowserStores> {
	const db = await openFriendlyDatabase(name);
	return {
		db,
		identities: new IdbIdentityStore(db),
		prekeys: new IdbPrekeyStore(db),
		sessions: new IdbSessionStore(db),
		account: new IdbAccountStore(db),
		contacts: new IdbContactStore(db),
		history: new IdbHistoryStore(db),
	};
}

/**
 * Makes this tab the database's only writer (the tab that just took the Web Lock): from now on a write
 * transaction of `stores` commits only while no other tab has claimed the database since.
 */
export function claimBrowserStores(stores: BrowserStores): Promise<void> {
	return claimWrites(stores.db, { store: STORES.local, key: LOCAL_KEYS.writer, token: crypto.randomUUID() });
}

/** Asks the browser not to evict our keys under storage pressure (best effort; some browsers ask the user). */
export async function requestPersistentStorage(): Promise<boolean> {
	try {
		return (await navigator.storage?.persist?.()) ?? false;
	} catch {
		return false;
	}
}

/** Deletes FriendLy's whole database in this browser (after the relay deleted the account). */
export function deleteFriendlyDatabase(name = DB_NAME): Promise<void> {
	return deleteDatabase(name);
}
