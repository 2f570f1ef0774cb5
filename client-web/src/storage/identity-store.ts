// IdentityStore on IndexedDB: our own identity (non-extractable private keys as CryptoKey objects)
// and the peers' pinned identities.
import type { IdentityStore, LocalIdentity, TrustedIdentity } from "../../../protocol/session/index.ts";
import { getRecord, putRecord } from "./idb.ts";
import { LOCAL_KEYS, STORES } from "./schema.ts";

export class IdbIdentityStore implements IdentityStore {
	constructor(private readonly db: IDBDatabase) {}

	loadLocalIdentity(): Promise<LocalIdentity | undefined> {
		return getRecord<LocalIdentity>(this.db, STORES.local, LOCAL_KEYS.identity);
	}
	storeLocalIdentity(identity: LocalIdentity): Promise<void> {
		return putRecord(this.db, STORES.local, identity, LOCAL_KEYS.identity);
	}
	loadTrustedIdentity(phone: string): Promise<TrustedIdentity | undefined> {
		return getRecord<TrustedIdentity>(this.db, STORES.trusted, phone);
	}
	storeTrustedIdentity(record: TrustedIdentity): Promise<void> {
		return putRecord(this.db, STORES.trusted, record);
	}
}
