// The history entries a FriendLy page has stored, read straight from its IndexedDB (from any page of
// the browser profile): what the app really wrote, not what it shows.
import type { Page } from "playwright-core";

export interface StoredEntry {
	readonly peer: string;
	readonly direction: string;
	readonly text: string;
}

export function storedHistory(page: Page): Promise<StoredEntry[]> {
	return page.evaluate(async () => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const request = indexedDB.open("friendly");
			request.onsuccess = () => resolve(request.result);
			request.onerror = () => reject(request.error);
		});
		const entries = await new Promise<unknown[]>((resolve, reject) => {
			const request = db.transaction("history").objectStore("history").getAll();
			request.onsuccess = () => resolve(request.result);
			request.onerror = () => reject(request.error);
		});
		db.close();
		const field = (entry: unknown, name: string) => String(Reflect.get(Object(entry), name));
		return entries.map((entry) => ({
			peer: field(entry, "peer"),
			direction: field(entry, "direction"),
			text: field(entry, "text"),
		}));
	});
}
