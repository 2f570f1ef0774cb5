// In-memory MessengerStores for tests and throwaway sessions.
import { createMemoryStores } from "../session/index.ts";
import type {
	AccountRecord,
	ContactRecord,
	HistoryEntry,
	MessengerStores,
	PendingVerification,
} from "./stores.ts";

export function createMemoryMessengerStores(): MessengerStores {
	let account: AccountRecord | undefined;
	let pending: PendingVerification | null = null;
	const contacts = new Map<string, ContactRecord>();
	const history = new Map<string, HistoryEntry>();
	const key = (peer: string, direction: string, id: string) => `${peer}\n${direction}\n${id}`;
	return {
		...createMemoryStores(),
		account: {
			loadAccount: async () => account,
			storeAccount: async (record) => {
				account = record;
			},
			clearAccount: async () => {
				account = undefined;
			},
			loadPendingVerification: async () => pending,
			storePendingVerification: async (record) => {
				pending = record;
			},
		},
		contacts: {
			loadContact: async (phone) => contacts.get(phone),
			storeContact: async (record) => {
				contacts.set(record.phone, record);
			},
			listContacts: async () => [...contacts.values()],
		},
		history: {
			storeEntry: async (entry) => {
				history.set(key(entry.peer, entry.direction, entry.id), entry);
			},
			loadEntry: async (peer, direction, id) => history.get(key(peer, direction, id)),
			listEntries: async (peer) =>
				[...history.values()].filter((entry) => entry.peer === peer).sort((a, b) => a.at - b.at),
		},
	};
}
