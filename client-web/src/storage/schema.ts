// The IndexedDB layout of the web client: one database per origin, one object store per kind of
// record. Records are stored as structured clones: private keys stay non-extractable CryptoKey
// objects (the browser can use them but nobody can read them out), sessions keep their Maps and Sets.
import { openDatabase } from "./idb.ts";

export const DB_NAME = "friendly";
export const DB_VERSION = 1;

export const STORES = {
	/** Singletons under fixed keys: our identity, key-id counters, the account, the write fence. */
	local: "local",
	/** Pinned peer identities (trust on first use), by phone. */
	trusted: "trusted",
	signedPrekeys: "signedPrekeys",
	oneTimePrekeys: "oneTimePrekeys",
	/** Double Ratchet session records, by peer phone. */
	sessions: "sessions",
	/** Conversation list entries, by phone. */
	contacts: "contacts",
	/** Messages, keyed [peer, direction, id], indexed by [peer, at] for the conversation view. */
	history: "history",
} as const;

export const LOCAL_KEYS = {
	identity: "identity",
	counters: "keyIdCounters",
	account: "account",
	/** A verification code asked for and not used yet (survives a reload until it expires). */
	pendingVerification: "pendingVerification",
	/** The write fence: the token of the tab that runs FriendLy (idb.ts claimWrites). */
	writer: "writer",
} as const;
export const HISTORY_BY_PEER = "byPeerAt";

export function openFriendlyDatabase(name = DB_NAME): Promise<IDBDatabase> {
	return openDatabase(name, DB_VERSION, (db, oldVersion) => {
		if (oldVersion < 1) {
			db.createObjectStore(STORES.local);
			db.createObjectStore(STORES.trusted, { keyPath: "phone" });
			db.createObjectStore(STORES.signedPrekeys, { keyPath: "keyId" });
			db.createObjectStore(STORES.oneTimePrekeys, { keyPath: "keyId" });
			db.createObjectStore(STORES.sessions, { keyPath: "peer" });
			db.createObjectStore(STORES.contacts, { keyPath: "phone" });
			const history = db.createObjectStore(STORES.history, { keyPath: ["peer", "direction", "id"] });
			history.createIndex(HISTORY_BY_PEER, ["peer", "at"]);
		}
	});
}
