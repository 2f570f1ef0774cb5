// SessionStore on IndexedDB: one Double Ratchet record per peer (its Maps, Sets and CryptoKeys are
// stored as structured clones).
import type { SessionRecord, SessionStore } from "../../../protocol/session/index.ts";
import { deleteRecord, getRecord, putRecord } from "./idb.ts";
import { STORES } from "./schema.ts";

export class IdbSessionStore implements SessionStore {
	constructor(private readonly db: IDBDatabase) {}

	loadSessionRecord(peer: string): Promise<SessionRecord | undefined> {
		return getRecord<SessionRecord>(this.db, STORES.sessions, peer);
	}
	storeSessionRecord(record: SessionRecord): Promise<void> {
		return putRecord(this.db, STORES.sessions, record);
	}
	deleteSessionRecord(peer: string): Promise<void> {
		return deleteRecord(this.db, STORES.sessions, peer);
	}
}
