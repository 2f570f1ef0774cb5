// A few promise helpers over IndexedDB: open the database, run one request (or several) in one
// transaction and resolve when the transaction has committed, so a store call that resolved is durable.
// No wrapper library: the surface we need is small and this keeps the bundle and the audit small.

export type StoreMode = "readonly" | "readwrite";

export function openDatabase(
	name: string,
	version: number,
	upgrade: (db: IDBDatabase, oldVersion: number) => void,
): Promise<IDBDatabase> {
	return new Promise((resolve, reject) => {
		if (typeof indexedDB === "undefined") {
			reject(new StorageUnavailableError("This browser does not offer IndexedDB storage."));
			return;
		}
		const request = indexedDB.open(name, version);
		request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
		request.onsuccess = () => {
			const db = request.result;
			// Another tab upgrading the schema: step aside instead of blocking it.
			db.onversionchange = () => db.close();
			resolve(db);
		};
		request.onerror = () =>
			reject(new StorageUnavailableError(request.error?.message ?? "IndexedDB could not be opened."));
		request.onblocked = () =>
			reject(new StorageUnavailableError("FriendLy is open in another tab with an older version; close it."));
	});
}

/** Runs `work` in one transaction over `stores`; resolves with its result once the transaction commits. */
export function transact<T>(
	db: IDBDatabase,
	stores: string | string[],
	mode: StoreMode,
	work: (tx: IDBTransaction) => IDBRequest<T> | undefined,
): Promise<T | undefined> {
	return new Promise((resolve, reject) => {
		const tx = db.transaction(stores, mode, { durability: "strict" });
		let request: IDBRequest<T> | undefined;
		tx.oncomplete = () => resolve(request?.result);
		tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
		tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
		try {
			request = work(tx);
		} catch (error) {
			tx.abort();
			reject(error);
		}
	});
}

/** Reads one record by key (undefined when absent). */
export function getRecord<T>(db: IDBDatabase, store: string, key: IDBValidKey): Promise<T | undefined> {
	return transact<T>(db, store, "readonly", (tx) => tx.objectStore(store).get(key));
}

export function getAllRecords<T>(
	db: IDBDatabase,
	store: string,
	query?: IDBKeyRange,
	index?: string,
): Promise<T[]> {
	return transact<T[]>(db, store, "readonly", (tx) => {
		const source = index ? tx.objectStore(store).index(index) : tx.objectStore(store);
		return source.getAll(query);
	}).then((records) => records ?? []);
}

export function putRecord(db: IDBDatabase, store: string, value: unknown, key?: IDBValidKey): Promise<void> {
	return transact(db, store, "readwrite", (tx) => tx.objectStore(store).put(value, key)).then(
		() => undefined,
	);
}

export function deleteRecord(db: IDBDatabase, store: string, key: IDBValidKey): Promise<void> {
	return transact(db, store, "readwrite", (tx) => tx.objectStore(store).delete(key)).then(() => undefined);
}

export class StorageUnavailableError extends Error {
	override readonly name = "StorageUnavailableError";
}
