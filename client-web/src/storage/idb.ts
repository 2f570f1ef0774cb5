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

/** Deletes a database; every connection to it must be closed first (else the browser waits for them). */
export function deleteDatabase(name: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const request = indexedDB.deleteDatabase(name);
		request.onsuccess = () => resolve();
		request.onerror = () =>
			reject(
				new StorageUnavailableError(request.error?.message ?? "IndexedDB could not delete FriendLy's data."),
			);
	});
}

/**
 * The write fence: a token in the database naming the one tab allowed to write (see claimWrites). Every
 * write transaction of a fenced database first reads it, in the same transaction, and rolls back when
 * another tab has claimed the database since. Write transactions over a common store never overlap, so
 * a write either commits before the other tab's claim or does not commit at all.
 */
interface WriteFence {
	readonly store: string;
	readonly key: IDBValidKey;
	readonly token: string;
}

const fences = new WeakMap<IDBDatabase, WriteFence>();

/** A write refused because another tab claimed the database (it took FriendLy over). */
export class WriteFenceError extends Error {
	override readonly name = "WriteFenceError";
	constructor() {
		super("Another tab took over FriendLy's storage; this tab no longer writes to it.");
	}
}

/**
 * Makes this connection the database's only writer: stores `fence.token` (unconditionally: this is the
 * take-over), then fences every later write transaction of `db` on it.
 */
export async function claimWrites(db: IDBDatabase, fence: WriteFence): Promise<void> {
	fences.delete(db);
	await putRecord(db, fence.store, fence.token, fence.key);
	fences.set(db, fence);
}

/** Runs `work` in one transaction over `stores`; resolves with its result once the transaction commits. */
export function transact<T>(
	db: IDBDatabase,
	stores: string | string[],
	mode: StoreMode,
	work: (tx: IDBTransaction) => IDBRequest<T> | undefined,
): Promise<T | undefined> {
	return new Promise((resolve, reject) => {
		const fence = mode === "readwrite" ? fences.get(db) : undefined;
		const scope = typeof stores === "string" ? [stores] : stores;
		const tx = db.transaction(fence && !scope.includes(fence.store) ? [...scope, fence.store] : scope, mode, {
			durability: "strict",
		});
		let request: IDBRequest<T> | undefined;
		let fenced = false;
		tx.oncomplete = () => resolve(request?.result);
		// Aborting fails the pending requests first (their error events reach onerror before onabort).
		tx.onerror = () =>
			reject(fenced ? new WriteFenceError() : (tx.error ?? new Error("IndexedDB transaction failed")));
		tx.onabort = () =>
			reject(fenced ? new WriteFenceError() : (tx.error ?? new Error("IndexedDB transaction aborted")));
		try {
			if (fence) {
				// Issued first, so it is answered before any write of `work` is applied; aborting then
				// rolls all of them back.
				const claim = tx.objectStore(fence.store).get(fence.key);
				claim.onsuccess = () => {
					if (claim.result === fence.token) return;
					fenced = true;
					tx.abort();
				};
			}
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
