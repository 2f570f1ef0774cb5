// ContactStore on IndexedDB: the conversation list (unread count, last message, pending key change).
import type { ContactRecord, ContactStore } from "../../../protocol/messenger/stores.ts";
import { getAllRecords, getRecord, putRecord } from "./idb.ts";
import { STORES } from "./schema.ts";

export class IdbContactStore implements ContactStore {
	constructor(private readonly db: IDBDatabase) {}

	loadContact(phone: string): Promise<ContactRecord | undefined> {
		return getRecord<ContactRecord>(this.db, STORES.contacts, phone);
	}
	storeContact(contact: ContactRecord): Promise<void> {
		return putRecord(this.db, STORES.contacts, contact);
	}
	listContacts(): Promise<ContactRecord[]> {
		return getAllRecords<ContactRecord>(this.db, STORES.contacts);
	}
}
