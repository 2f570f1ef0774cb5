// Tells the UI when a conversation record or a message was written, after the write committed. The UI
// renders from storage and re-reads what changed, so whatever the messenger core stores (a message in
// "sending" state, a receipt, a key change) shows up without a separate event for each case.
import type { ContactRecord, HistoryEntry } from "../../../protocol/messenger/stores.ts";

export type StoreChange =
	| { kind: "history"; entry: HistoryEntry }
	| { kind: "contact"; contact: ContactRecord };

export class ChangeFeed {
	private readonly listeners = new Set<(change: StoreChange) => void>();

	subscribe(listener: (change: StoreChange) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	publish(change: StoreChange): void {
		for (const listener of this.listeners) {
			try {
				listener(change);
			} catch {
				// A failing view must not fail the store write that already committed.
			}
		}
	}
}
