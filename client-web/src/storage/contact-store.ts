// ContactStore on IndexedDB: the conversation list (unread count, last message, pending key change).
import type { ContactRecord, ContactStore } from "../../../protocol/messenger/stores.ts";
import type { ChangeFeed } from "./change-feed.ts";
import { getAllRecords, getRecord, putRecord } from "./idb.ts";
import { STORES } from "./schema.ts";

export class IdbContactStore implements ContactStore {
	constructor(
		private readonly db: IDBDatabase,
		private readonly feed: ChangeFeed,
	) {}

	loadContact(phone: string): Promise<ContactRecord | undefined> {
		return getRecord<ContactRecord>(this.db, STORES.contacts, phone);
	}
	async storeContact(contact: ContactRecord): Promise<void> {
		await putRecord(this.db, STORES.contacts, contact);
		this.feed.publish({ kind: "contact", contact });
	}
	listContacts(): Promise<ContactRecord[]> {
		return getAllRecords<ContactRecord>(this.db, STORES.contacts);
	}
}
