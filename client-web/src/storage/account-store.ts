// AccountStore on IndexedDB: this browser's registration (phone, session token, relay URL).
import type { AccountRecord, AccountStore, PendingVerification } from "../../../protocol/messenger/stores.ts";
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
	async loadPendingVerification(): Promise<PendingVerification | null> {
		return (
			(await getRecord<PendingVerification>(this.db, STORES.local, LOCAL_KEYS.pendingVerification)) ?? null
		);
	}
	storePendingVerification(pending: PendingVerification | null): Promise<void> {
		return pending
			? putRecord(this.db, STORES.local, pending, LOCAL_KEYS.pendingVerification)
			: deleteRecord(this.db, STORES.local, LOCAL_KEYS.pendingVerification);
	}
}
