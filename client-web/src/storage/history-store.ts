// HistoryStore on IndexedDB: every message, keyed by (peer, direction, id) so a status update replaces
// the entry, and listed per peer in time order through the [peer, at] index.
import type { HistoryEntry, HistoryStore } from "../../../protocol/messenger/stores.ts";
import { getAllRecords, getRecord, putRecord } from "./idb.ts";
import { HISTORY_BY_PEER, STORES } from "./schema.ts";

export class IdbHistoryStore implements HistoryStore {
	constructor(private readonly db: IDBDatabase) {}

	storeEntry(entry: HistoryEntry): Promise<void> {
		return putRecord(this.db, STORES.history, entry);
	}
	loadEntry(peer: string, direction: "in" | "out", id: string): Promise<HistoryEntry | undefined> {
		return getRecord<HistoryEntry>(this.db, STORES.history, [peer, direction, id]);
	}
	listEntries(peer: string): Promise<HistoryEntry[]> {
		const range = IDBKeyRange.bound([peer, Number.NEGATIVE_INFINITY], [peer, Number.POSITIVE_INFINITY]);
		return getAllRecords<HistoryEntry>(this.db, STORES.history, range, HISTORY_BY_PEER);
	}
}
