// AccountStore on IndexedDB: this browser's registration (phone, session token, relay URL).
import type { AccountRecord, AccountStore } from "../../../protocol/messenger/stores.ts";
import { deleteRecord, getRecord, putRecord } from "./idb.ts";
import { LOCAL_KEYS, STORES } from "./schema.ts";

export class IdbAccountStore implements AccountStore {
	constructor(private readonly db: IDBDatabase) {}

	loadAccount(): Promise<AccountRecord | undefined> {
		return getRecord<AccountRecord>(this.db, STORES.local, LOCAL_KEYS.account);
	}
	storeAccount(account: AccountRecord): Promise<void> {
		return putRecord(this.db, STORES.local, account, LOCAL_KEYS.account);
	}
	clearAccount(): Promise<void> {
		return deleteRecord(this.db, STORES.local, LOCAL_KEYS.account);
	}
}
