// PrekeyStore on IndexedDB: our signed and one-time prekeys (private halves non-extractable) and the
// counters that hand out their key ids.
//
// Suite 2's one-time ML-KEM-768 prekeys live in the same `oneTimePrekeys` object store, so the database
// version stays 1: they are wrapped as { keyId: ["kem", id], kem: record }. IndexedDB orders every
// number before every array, so the one-time EC prekeys (number keys) are read with oneTimeRange() and
// the KEM prekeys with kemRange(), and neither ever sees the other. The last-resort KEM key is a field of
// its signed prekey record. KEM secret keys are bytes (WebCrypto has no ML-KEM CryptoKey yet).
import type {
	KemPrekeyRecord,
	KeyIdCounters,
	OneTimePrekeyGoneChange,
	OneTimePrekeyRecord,
	OneTimePrekeyState,
	PrekeyStore,
	SignedPrekeyRecord,
} from "../../../protocol/session/index.ts";
import { deleteRecord, getAllRecords, getRecord, putRecord, transact } from "./idb.ts";
import { LOCAL_KEYS, STORES } from "./schema.ts";

// Functions, not constants: IDBKeyRange exists only where IndexedDB does.
const oneTimeRange = () => IDBKeyRange.upperBound(Number.POSITIVE_INFINITY);
const kemRange = () => IDBKeyRange.bound(["kem"], ["kem", []]);
const kemKey = (keyId: number): [string, number] => ["kem", keyId];

interface StoredKemPrekey {
	readonly keyId: [string, number];
	readonly kem: KemPrekeyRecord;
}

export class IdbPrekeyStore implements PrekeyStore {
	constructor(private readonly db: IDBDatabase) {}

	loadSignedPrekey(keyId: number): Promise<SignedPrekeyRecord | undefined> {
		return getRecord<SignedPrekeyRecord>(this.db, STORES.signedPrekeys, keyId);
	}
	listSignedPrekeys(): Promise<readonly SignedPrekeyRecord[]> {
		return getAllRecords<SignedPrekeyRecord>(this.db, STORES.signedPrekeys);
	}
	storeSignedPrekey(record: SignedPrekeyRecord): Promise<void> {
		return putRecord(this.db, STORES.signedPrekeys, record);
	}
	removeSignedPrekey(keyId: number): Promise<void> {
		return deleteRecord(this.db, STORES.signedPrekeys, keyId);
	}
	loadOneTimePrekey(keyId: number): Promise<OneTimePrekeyRecord | undefined> {
		return getRecord<OneTimePrekeyRecord>(this.db, STORES.oneTimePrekeys, keyId);
	}
	async storeOneTimePrekeys(records: readonly OneTimePrekeyRecord[]): Promise<void> {
		// One transaction: either the whole batch is stored or none of it.
		await transact(this.db, STORES.oneTimePrekeys, "readwrite", (tx) => {
			const store = tx.objectStore(STORES.oneTimePrekeys);
			for (const record of records) store.put(record);
			return undefined;
		});
	}
	removeOneTimePrekey(keyId: number): Promise<void> {
		return deleteRecord(this.db, STORES.oneTimePrekeys, keyId);
	}
	async removeOneTimePrekeys(keyIds: readonly number[]): Promise<void> {
		await transact(this.db, STORES.oneTimePrekeys, "readwrite", (tx) => {
			const store = tx.objectStore(STORES.oneTimePrekeys);
			for (const keyId of keyIds) store.delete(keyId);
			return undefined;
		});
	}
	async listOneTimePrekeyStates(): Promise<readonly OneTimePrekeyState[]> {
		const records = await getAllRecords<OneTimePrekeyRecord>(this.db, STORES.oneTimePrekeys, oneTimeRange());
		return records.map((record) =>
			record.goneSince === undefined
				? { keyId: record.keyId }
				: { keyId: record.keyId, goneSince: record.goneSince },
		);
	}
	async setOneTimePrekeysGoneSince(changes: readonly OneTimePrekeyGoneChange[]): Promise<void> {
		// Each read and its write happen in one transaction, so a record another transaction deleted (a
		// message used the key) is never put back.
		await transact(this.db, STORES.oneTimePrekeys, "readwrite", (tx) => {
			const store = tx.objectStore(STORES.oneTimePrekeys);
			for (const { keyId, goneSince } of changes) {
				const read = store.get(keyId);
				read.onsuccess = () => {
					const record = read.result as OneTimePrekeyRecord | undefined;
					if (!record) return;
					const { goneSince: _previous, ...rest } = record;
					store.put(goneSince === undefined ? rest : { ...rest, goneSince });
				};
			}
			return undefined;
		});
	}
	async countOneTimePrekeys(): Promise<number> {
		const count = await transact<number>(this.db, STORES.oneTimePrekeys, "readonly", (tx) =>
			tx.objectStore(STORES.oneTimePrekeys).count(oneTimeRange()),
		);
		return count ?? 0;
	}
	loadKeyIdCounters(): Promise<KeyIdCounters | undefined> {
		return getRecord<KeyIdCounters>(this.db, STORES.local, LOCAL_KEYS.counters);
	}
	storeKeyIdCounters(counters: KeyIdCounters): Promise<void> {
		return putRecord(this.db, STORES.local, counters, LOCAL_KEYS.counters);
	}
	async loadKemPrekey(keyId: number): Promise<KemPrekeyRecord | undefined> {
		const stored = await getRecord<StoredKemPrekey>(this.db, STORES.oneTimePrekeys, kemKey(keyId));
		return stored?.kem;
	}
	async storeKemPrekeys(records: readonly KemPrekeyRecord[]): Promise<void> {
		await transact(this.db, STORES.oneTimePrekeys, "readwrite", (tx) => {
			const store = tx.objectStore(STORES.oneTimePrekeys);
			for (const kem of records) store.put({ keyId: kemKey(kem.keyId), kem } satisfies StoredKemPrekey);
			return undefined;
		});
	}
	async removeKemPrekeys(keyIds: readonly number[]): Promise<void> {
		await transact(this.db, STORES.oneTimePrekeys, "readwrite", (tx) => {
			const store = tx.objectStore(STORES.oneTimePrekeys);
			for (const keyId of keyIds) store.delete(kemKey(keyId));
			return undefined;
		});
	}
	async listKemPrekeyStates(): Promise<readonly OneTimePrekeyState[]> {
		const stored = await getAllRecords<StoredKemPrekey>(this.db, STORES.oneTimePrekeys, kemRange());
		return stored.map(({ kem }) =>
			kem.goneSince === undefined ? { keyId: kem.keyId } : { keyId: kem.keyId, goneSince: kem.goneSince },
		);
	}
	async setKemPrekeysGoneSince(changes: readonly OneTimePrekeyGoneChange[]): Promise<void> {
		// As setOneTimePrekeysGoneSince: read and write in one transaction, never re-create a used key.
		await transact(this.db, STORES.oneTimePrekeys, "readwrite", (tx) => {
			const store = tx.objectStore(STORES.oneTimePrekeys);
			for (const { keyId, goneSince } of changes) {
				const read = store.get(kemKey(keyId));
				read.onsuccess = () => {
					const stored = read.result as StoredKemPrekey | undefined;
					if (!stored) return;
					const { goneSince: _previous, ...rest } = stored.kem;
					const kem: KemPrekeyRecord = goneSince === undefined ? rest : { ...rest, goneSince };
					store.put({ keyId: kemKey(keyId), kem } satisfies StoredKemPrekey);
				};
			}
			return undefined;
		});
	}
}
