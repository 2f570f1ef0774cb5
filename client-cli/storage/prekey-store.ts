// PrekeyStore on disk: prekeys/signed-<id>.json (with its last-resort ML-KEM-768 key in suite 2),
// prekeys/one-time-<id>.json and prekeys/kem-<id>.json (suite 2's one-time KEM prekeys) (private keys,
// deleted as soon as they are used, or when pruned after leaving the relay) and prekeys/counters.json
// (the next key ids, so an id is never reused). Every file goes through the profile's sealer.
import * as v from "valibot";
import {
	deserializeKemPrekey,
	deserializeOneTimePrekey,
	deserializeSignedPrekey,
	type KemPrekeyRecord,
	type KeyIdCounters,
	kemPrekeyState,
	type OneTimePrekeyGoneChange,
	type OneTimePrekeyRecord,
	type OneTimePrekeyState,
	oneTimePrekeyState,
	type PrekeyStore,
	type SignedPrekeyRecord,
	serializeKemPrekey,
	serializeOneTimePrekey,
	serializeSignedPrekey,
} from "../../protocol/session/index.ts";
import { damagedFile, type ProfileFiles } from "./profile-files.ts";

const DIRECTORY = "prekeys";
const COUNTERS_FILE = `${DIRECTORY}/counters.json`;
const SIGNED_PATTERN = /^signed-([0-9]{1,10})\.json$/;
const ONE_TIME_PATTERN = /^one-time-([0-9]{1,10})\.json$/;
const KEM_PATTERN = /^kem-([0-9]{1,10})\.json$/;

const KeyId = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0x1_0000_0000));
const CountersJson = v.strictObject({
	kind: v.literal("friendly.key-id-counters"),
	v: v.literal(1),
	nextSignedPrekeyId: KeyId,
	nextOneTimePrekeyId: KeyId,
	/** Suite 2; absent in counters written before it. */
	nextKemPrekeyId: v.optional(KeyId),
});

function signedPath(keyId: number): string {
	return `${DIRECTORY}/signed-${keyId}.json`;
}

function oneTimePath(keyId: number): string {
	return `${DIRECTORY}/one-time-${keyId}.json`;
}

function kemPath(keyId: number): string {
	return `${DIRECTORY}/kem-${keyId}.json`;
}

export class DiskPrekeyStore implements PrekeyStore {
	/**
	 * Writes and removals of one-time prekeys run one at a time: setOneTimePrekeysGoneSince reads a record
	 * and writes it back, and must never re-create one that removeOneTimePrekey (a message used it) deleted
	 * in between. The profile lock keeps other processes out; one store instance serves a profile.
	 */
	#oneTimeWrites: Promise<unknown> = Promise.resolve();

	constructor(private readonly files: ProfileFiles) {}

	private oneTimeExclusive<T>(work: () => Promise<T>): Promise<T> {
		const run = this.#oneTimeWrites.then(work);
		this.#oneTimeWrites = run.catch(() => undefined);
		return run;
	}

	async loadSignedPrekey(keyId: number): Promise<SignedPrekeyRecord | undefined> {
		const text = await this.files.read(signedPath(keyId));
		return text === undefined ? undefined : deserializeSignedPrekey(text);
	}

	async listSignedPrekeys(): Promise<readonly SignedPrekeyRecord[]> {
		const records: SignedPrekeyRecord[] = [];
		for (const name of await this.files.list(DIRECTORY)) {
			const match = SIGNED_PATTERN.exec(name);
			if (!match) continue;
			const record = await this.loadSignedPrekey(Number(match[1]));
			if (record) records.push(record);
		}
		return records.sort((a, b) => a.keyId - b.keyId);
	}

	async storeSignedPrekey(record: SignedPrekeyRecord): Promise<void> {
		await this.files.write(signedPath(record.keyId), await serializeSignedPrekey(record));
	}

	async removeSignedPrekey(keyId: number): Promise<void> {
		await this.files.remove(signedPath(keyId));
	}

	async loadOneTimePrekey(keyId: number): Promise<OneTimePrekeyRecord | undefined> {
		const text = await this.files.read(oneTimePath(keyId));
		return text === undefined ? undefined : deserializeOneTimePrekey(text);
	}

	storeOneTimePrekeys(records: readonly OneTimePrekeyRecord[]): Promise<void> {
		return this.oneTimeExclusive(async () => {
			for (const record of records) {
				await this.files.write(oneTimePath(record.keyId), await serializeOneTimePrekey(record));
			}
		});
	}

	removeOneTimePrekey(keyId: number): Promise<void> {
		return this.oneTimeExclusive(() => this.files.remove(oneTimePath(keyId)));
	}

	removeOneTimePrekeys(keyIds: readonly number[]): Promise<void> {
		return this.oneTimeExclusive(async () => {
			for (const keyId of keyIds) await this.files.remove(oneTimePath(keyId));
		});
	}

	async countOneTimePrekeys(): Promise<number> {
		return (await this.files.list(DIRECTORY)).filter((name) => ONE_TIME_PATTERN.test(name)).length;
	}

	async listOneTimePrekeyStates(): Promise<readonly OneTimePrekeyState[]> {
		const states: OneTimePrekeyState[] = [];
		for (const name of await this.files.list(DIRECTORY)) {
			const match = ONE_TIME_PATTERN.exec(name);
			if (!match) continue;
			const text = await this.files.read(oneTimePath(Number(match[1])));
			if (text !== undefined) states.push(oneTimePrekeyState(text));
		}
		return states;
	}

	setOneTimePrekeysGoneSince(changes: readonly OneTimePrekeyGoneChange[]): Promise<void> {
		return this.oneTimeExclusive(async () => {
			for (const { keyId, goneSince } of changes) {
				const record = await this.loadOneTimePrekey(keyId);
				if (!record) continue; // used meanwhile: never re-create it
				const { goneSince: _previous, ...rest } = record;
				const updated: OneTimePrekeyRecord = goneSince === undefined ? rest : { ...rest, goneSince };
				await this.files.write(oneTimePath(keyId), await serializeOneTimePrekey(updated));
			}
		});
	}

	async loadKeyIdCounters(): Promise<KeyIdCounters | undefined> {
		const data = await this.files.readJson(COUNTERS_FILE);
		if (data === undefined) return undefined;
		const parsed = v.safeParse(CountersJson, data);
		if (!parsed.success) throw damagedFile(COUNTERS_FILE, parsed.issues[0].message);
		return {
			nextSignedPrekeyId: parsed.output.nextSignedPrekeyId,
			nextOneTimePrekeyId: parsed.output.nextOneTimePrekeyId,
			...(parsed.output.nextKemPrekeyId === undefined
				? {}
				: { nextKemPrekeyId: parsed.output.nextKemPrekeyId }),
		};
	}

	async storeKeyIdCounters(counters: KeyIdCounters): Promise<void> {
		await this.files.write(
			COUNTERS_FILE,
			JSON.stringify({
				kind: "friendly.key-id-counters",
				v: 1,
				nextSignedPrekeyId: counters.nextSignedPrekeyId,
				nextOneTimePrekeyId: counters.nextOneTimePrekeyId,
				...(counters.nextKemPrekeyId === undefined ? {} : { nextKemPrekeyId: counters.nextKemPrekeyId }),
			}),
		);
	}

	// Suite 2's one-time KEM prekeys: the same rules as the one-time prekeys above (one writer at a time).

	async loadKemPrekey(keyId: number): Promise<KemPrekeyRecord | undefined> {
		const text = await this.files.read(kemPath(keyId));
		return text === undefined ? undefined : deserializeKemPrekey(text);
	}

	storeKemPrekeys(records: readonly KemPrekeyRecord[]): Promise<void> {
		return this.oneTimeExclusive(async () => {
			for (const record of records) await this.files.write(kemPath(record.keyId), serializeKemPrekey(record));
		});
	}

	removeKemPrekeys(keyIds: readonly number[]): Promise<void> {
		return this.oneTimeExclusive(async () => {
			for (const keyId of keyIds) await this.files.remove(kemPath(keyId));
		});
	}

	async listKemPrekeyStates(): Promise<readonly OneTimePrekeyState[]> {
		const states: OneTimePrekeyState[] = [];
		for (const name of await this.files.list(DIRECTORY)) {
			const match = KEM_PATTERN.exec(name);
			if (!match) continue;
			const text = await this.files.read(kemPath(Number(match[1])));
			if (text !== undefined) states.push(kemPrekeyState(text));
		}
		return states;
	}

	setKemPrekeysGoneSince(changes: readonly OneTimePrekeyGoneChange[]): Promise<void> {
		return this.oneTimeExclusive(async () => {
			for (const { keyId, goneSince } of changes) {
				const record = await this.loadKemPrekey(keyId);
				if (!record) continue; // used meanwhile: never re-create it
				const { goneSince: _previous, ...rest } = record;
				const updated: KemPrekeyRecord = goneSince === undefined ? rest : { ...rest, goneSince };
				await this.files.write(kemPath(keyId), serializeKemPrekey(updated));
			}
		});
	}
}
