// In-memory stores: for tests (ours and the clients') and for short-lived tools. Records are kept by
// reference, as the store contract allows; nothing survives the process.

import type {
	IdentityStore,
	KemPrekeyRecord,
	KeyIdCounters,
	LocalIdentity,
	OneTimePrekeyGoneChange,
	OneTimePrekeyRecord,
	OneTimePrekeyState,
	PrekeyStore,
	ProtocolStores,
	SessionRecord,
	SessionStore,
	SignedPrekeyRecord,
	TrustedIdentity,
} from "./stores.ts";

export class MemoryIdentityStore implements IdentityStore {
	local: LocalIdentity | undefined;
	readonly trusted = new Map<string, TrustedIdentity>();

	async loadLocalIdentity() {
		return this.local;
	}
	async storeLocalIdentity(identity: LocalIdentity) {
		this.local = identity;
	}
	async loadTrustedIdentity(phone: string) {
		return this.trusted.get(phone);
	}
	async storeTrustedIdentity(record: TrustedIdentity) {
		this.trusted.set(record.phone, record);
	}
}

export class MemoryPrekeyStore implements PrekeyStore {
	readonly signed = new Map<number, SignedPrekeyRecord>();
	readonly oneTime = new Map<number, OneTimePrekeyRecord>();
	readonly kem = new Map<number, KemPrekeyRecord>();
	counters: KeyIdCounters | undefined;

	async loadSignedPrekey(keyId: number) {
		return this.signed.get(keyId);
	}
	async listSignedPrekeys() {
		return [...this.signed.values()];
	}
	async storeSignedPrekey(record: SignedPrekeyRecord) {
		this.signed.set(record.keyId, record);
	}
	async removeSignedPrekey(keyId: number) {
		this.signed.delete(keyId);
	}
	async loadOneTimePrekey(keyId: number) {
		return this.oneTime.get(keyId);
	}
	async storeOneTimePrekeys(records: readonly OneTimePrekeyRecord[]) {
		for (const record of records) this.oneTime.set(record.keyId, record);
	}
	async removeOneTimePrekey(keyId: number) {
		this.oneTime.delete(keyId);
	}
	async removeOneTimePrekeys(keyIds: readonly number[]) {
		for (const keyId of keyIds) this.oneTime.delete(keyId);
	}
	async countOneTimePrekeys() {
		return this.oneTime.size;
	}
	async listOneTimePrekeyStates(): Promise<OneTimePrekeyState[]> {
		return [...this.oneTime.values()].map((record) =>
			record.goneSince === undefined
				? { keyId: record.keyId }
				: { keyId: record.keyId, goneSince: record.goneSince },
		);
	}
	async setOneTimePrekeysGoneSince(changes: readonly OneTimePrekeyGoneChange[]) {
		for (const { keyId, goneSince } of changes) {
			const record = this.oneTime.get(keyId);
			if (!record) continue; // used meanwhile: never re-create it
			const { goneSince: _previous, ...rest } = record;
			this.oneTime.set(keyId, goneSince === undefined ? rest : { ...rest, goneSince });
		}
	}
	async loadKeyIdCounters() {
		return this.counters;
	}
	async storeKeyIdCounters(counters: KeyIdCounters) {
		this.counters = counters;
	}
	async loadKemPrekey(keyId: number) {
		return this.kem.get(keyId);
	}
	async storeKemPrekeys(records: readonly KemPrekeyRecord[]) {
		for (const record of records) this.kem.set(record.keyId, record);
	}
	async removeKemPrekeys(keyIds: readonly number[]) {
		for (const keyId of keyIds) this.kem.delete(keyId);
	}
	async listKemPrekeyStates(): Promise<OneTimePrekeyState[]> {
		return [...this.kem.values()].map((record) =>
			record.goneSince === undefined
				? { keyId: record.keyId }
				: { keyId: record.keyId, goneSince: record.goneSince },
		);
	}
	async setKemPrekeysGoneSince(changes: readonly OneTimePrekeyGoneChange[]) {
		for (const { keyId, goneSince } of changes) {
			const record = this.kem.get(keyId);
			if (!record) continue; // used meanwhile: never re-create it
			const { goneSince: _previous, ...rest } = record;
			this.kem.set(keyId, goneSince === undefined ? rest : { ...rest, goneSince });
		}
	}
}

export class MemorySessionStore implements SessionStore {
	readonly records = new Map<string, SessionRecord>();

	async loadSessionRecord(peer: string) {
		return this.records.get(peer);
	}
	async storeSessionRecord(record: SessionRecord) {
		this.records.set(record.peer, record);
	}
	/** Not part of SessionStore: lets tests simulate a phone that lost its state. */
	async deleteSessionRecord(peer: string) {
		this.records.delete(peer);
	}
}

export interface MemoryStores extends ProtocolStores {
	readonly identities: MemoryIdentityStore;
	readonly prekeys: MemoryPrekeyStore;
	readonly sessions: MemorySessionStore;
}

export function createMemoryStores(): MemoryStores {
	return {
		identities: new MemoryIdentityStore(),
		prekeys: new MemoryPrekeyStore(),
		sessions: new MemorySessionStore(),
	};
}
