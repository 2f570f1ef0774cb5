// Prekey management (X3DH §4.1-4.2, Signal's rotation practice):
// - one signed prekey is current; rotateSignedPrekey() replaces it every SIGNED_PREKEY_ROTATION_MS and
//   keeps replaced private keys for SIGNED_PREKEY_RETENTION_MS so late first messages still decrypt;
// - one-time prekeys are generated in batches; refillOneTimePrekeys() tops the relay up when its count
//   drops below ONE_TIME_PREKEY_REFILL_THRESHOLD (the relay holds at most 200, takes at most 100 per PUT);
// - a one-time prekey's private key is deleted when the message that used it decrypted (messages.ts),
//   or, when it is no longer on the relay (handed out in a bundle whose message never came, or never
//   uploaded), ONE_TIME_PREKEY_GONE_RETENTION_MS after the client first saw it missing, and earlier
//   when more than MAX_LOCAL_ONE_TIME_PREKEYS are held (pruneOneTimePrekeys).
// - suite 2: each signed prekey carries a last-resort ML-KEM-768 key (same id, one signature over both,
//   rotated and retained with it), and one-time KEM prekeys are refilled (refillKemPrekeys), deleted
//   when used and pruned exactly like the one-time EC prekeys, with the limits of wire/keys.ts
//   (MAX_KEM_PREKEYS_PER_UPLOAD, MAX_KEM_PREKEYS_HELD; refill below KEM_PREKEY_REFILL_THRESHOLD).
//   A signed prekey stored before suite 2 (no KEM key) is rotated at the next upkeep.
// Key ids come from counters in the prekey store, so an id is never reused.
//
// Typical client loop after connecting (GET /v1/keys gives `status`):
//   const upload = await prepareKeyUpload(context, status);
//   if (upload) await PUT /v1/keys with `upload`.

import { generateEcdhKeyPair } from "../crypto/ecdh.ts";
import { kemPrekeySignedBytes, signedPrekeyV2SignedBytes, signKey } from "../crypto/key-signatures.ts";
import { generateMlKemKeyPair } from "../crypto/ml-kem.ts";
import { SUITE_V1, SUITE_V2 } from "../crypto/suite.ts";
import { encodeBase64Url } from "../encoding/base64url.ts";
import type { KemPrekey, OneTimePrekey, SignedPrekey } from "../wire/keys.ts";
import {
	MAX_KEM_PREKEYS_HELD,
	MAX_KEM_PREKEYS_PER_UPLOAD,
	MAX_ONE_TIME_PREKEYS_HELD,
	MAX_ONE_TIME_PREKEYS_PER_UPLOAD,
} from "../wire/keys.ts";
import { PREKEY_LOCK, type ProtocolContext } from "./context.ts";
import { ProtocolError } from "./errors.ts";
import { keysExtractable } from "./identity.ts";
import {
	type KemPrekeyRecord,
	type KeyIdCounters,
	type LocalIdentity,
	type OneTimePrekeyGoneChange,
	type OneTimePrekeyRecord,
	type OneTimePrekeyState,
	type SignedPrekeyRecord,
	STATE_VERSION,
} from "./stores.ts";

export const SIGNED_PREKEY_ROTATION_MS = 2 * 24 * 60 * 60 * 1000;
export const SIGNED_PREKEY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
export const ONE_TIME_PREKEY_REFILL_THRESHOLD = 25;
/** Suite 2: one-time KEM prekeys are refilled (25 per upload) when the relay holds fewer than this. */
export const KEM_PREKEY_REFILL_THRESHOLD = 25;
/**
 * How long a one-time prekey's private key is kept after the relay's status first stopped listing it.
 * The relay drops a key when it hands it out in a bundle, and the first message built on it may then
 * wait in our mailbox for the mailbox's whole retention, 30 days (worker/phone/mailbox.ts
 * MAILBOX_RETENTION_MS; the library cannot import the worker, test/worker/key-directory.test.ts checks
 * the two agree). Later no stored message can need the key, and keeping it would only weaken forward
 * secrecy. Measured from when we first saw it missing, which is never before the handout.
 */
export const ONE_TIME_PREKEY_GONE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * The most one-time prekeys kept locally: the relay's 200 plus as many handed out and not yet used.
 * Above it the handed-out ones that have been gone longest are deleted first (never one the relay still
 * holds), so other accounts draining our supply cannot make us hoard private keys.
 */
export const MAX_LOCAL_ONE_TIME_PREKEYS = 2 * MAX_ONE_TIME_PREKEYS_HELD;
const MAX_KEY_ID = 0xffffffff;

export function signedPrekeyWire(record: SignedPrekeyRecord): SignedPrekey {
	return {
		keyId: record.keyId,
		publicKey: encodeBase64Url(record.keyPair.publicKey),
		signature: encodeBase64Url(record.signature),
		...(record.kem ? { kemPublicKey: encodeBase64Url(record.kem.publicKey) } : {}),
	};
}

export function kemPrekeyWire(record: KemPrekeyRecord): KemPrekey {
	return {
		keyId: record.keyId,
		publicKey: encodeBase64Url(record.keyPair.publicKey),
		signature: encodeBase64Url(record.signature),
	};
}

export function oneTimePrekeyWire(record: OneTimePrekeyRecord): OneTimePrekey {
	return { keyId: record.keyId, publicKey: encodeBase64Url(record.keyPair.publicKey) };
}

function checkKeyId(keyId: number): void {
	if (!Number.isInteger(keyId) || keyId < 0 || keyId > MAX_KEY_ID) {
		throw new ProtocolError("invalid_argument", "key ids are uint32");
	}
}

/**
 * A new suite-2 signed prekey with its last-resort ML-KEM-768 key (one signature over both): the record
 * to store and the wire object to upload. Stores nothing.
 */
export async function generateSignedPrekey(
	identity: LocalIdentity,
	keyId: number,
	now: number,
): Promise<{ record: SignedPrekeyRecord; wire: SignedPrekey }> {
	checkKeyId(keyId);
	const [keyPair, kem] = await Promise.all([
		generateEcdhKeyPair(keysExtractable(identity)),
		generateMlKemKeyPair(),
	]);
	const signature = await signKey(
		identity.signing.privateKey,
		signedPrekeyV2SignedBytes(keyId, keyPair.publicKey, kem.publicKey),
	);
	const record: SignedPrekeyRecord = {
		v: STATE_VERSION,
		suite: SUITE_V2,
		keyId,
		keyPair,
		kem,
		signature,
		createdAt: now,
	};
	return { record, wire: signedPrekeyWire(record) };
}

/** `count` new signed one-time KEM prekeys with ids firstKeyId, firstKeyId+1, ... Stores nothing. */
export async function generateKemPrekeys(
	identity: LocalIdentity,
	firstKeyId: number,
	count: number,
	now: number,
): Promise<{ records: KemPrekeyRecord[]; wire: KemPrekey[] }> {
	checkKeyId(firstKeyId);
	checkKeyId(firstKeyId + count);
	const records: KemPrekeyRecord[] = [];
	for (let i = 0; i < count; i++) {
		const keyId = firstKeyId + i;
		const keyPair = await generateMlKemKeyPair();
		const signature = await signKey(
			identity.signing.privateKey,
			kemPrekeySignedBytes(keyId, keyPair.publicKey),
		);
		records.push({ v: STATE_VERSION, suite: SUITE_V2, keyId, keyPair, signature, createdAt: now });
	}
	return { records, wire: records.map(kemPrekeyWire) };
}

/** `count` new one-time prekeys with ids firstKeyId, firstKeyId+1, ... Stores nothing. */
export async function generateOneTimePrekeys(
	identity: LocalIdentity,
	firstKeyId: number,
	count: number,
	now: number,
): Promise<{ records: OneTimePrekeyRecord[]; wire: OneTimePrekey[] }> {
	checkKeyId(firstKeyId);
	checkKeyId(firstKeyId + count);
	const pairs = await Promise.all(
		Array.from({ length: count }, () => generateEcdhKeyPair(keysExtractable(identity))),
	);
	const records = pairs.map(
		(keyPair, i): OneTimePrekeyRecord => ({
			v: STATE_VERSION,
			suite: SUITE_V1,
			keyId: firstKeyId + i,
			keyPair,
			createdAt: now,
		}),
	);
	return { records, wire: records.map(oneTimePrekeyWire) };
}

async function counters(context: ProtocolContext): Promise<KeyIdCounters> {
	return (
		(await context.stores.prekeys.loadKeyIdCounters()) ?? {
			nextSignedPrekeyId: 1,
			nextOneTimePrekeyId: 1,
			nextKemPrekeyId: 1,
		}
	);
}

function currentSignedPrekey(records: readonly SignedPrekeyRecord[]): SignedPrekeyRecord | undefined {
	let current: SignedPrekeyRecord | undefined;
	for (const record of records) {
		if (record.replacedAt === undefined && (!current || record.createdAt > current.createdAt))
			current = record;
	}
	return current;
}

/**
 * Rotates the signed prekey when there is none or the current one is older than the rotation period
 * (or `force`), and deletes replaced ones past retention. Returns the new signed prekey to upload, or
 * undefined when no rotation was due.
 */
export function rotateSignedPrekey(
	context: ProtocolContext,
	options: { readonly force?: boolean } = {},
): Promise<SignedPrekey | undefined> {
	return context.locks.run(PREKEY_LOCK, async () => {
		const identity = await context.localIdentity();
		const now = context.clock.now();
		const store = context.stores.prekeys;
		const records = await store.listSignedPrekeys();
		for (const record of records) {
			if (record.replacedAt !== undefined && now - record.replacedAt >= SIGNED_PREKEY_RETENTION_MS) {
				await store.removeSignedPrekey(record.keyId);
			}
		}
		const current = currentSignedPrekey(records);
		// A signed prekey from before suite 2 (no KEM key) cannot start suite-2 sessions: replace it now.
		const due = !current?.kem || now - current.createdAt >= SIGNED_PREKEY_ROTATION_MS;
		if (!options.force && !due) return undefined;
		const ids = await counters(context);
		const fresh = await generateSignedPrekey(identity, ids.nextSignedPrekeyId, now);
		await store.storeKeyIdCounters({ ...ids, nextSignedPrekeyId: ids.nextSignedPrekeyId + 1 });
		await store.storeSignedPrekey(fresh.record);
		if (current) await store.storeSignedPrekey({ ...current, replacedAt: now });
		return fresh.wire;
	});
}

/** The current signed prekey's wire form (to re-upload), if any. */
export async function currentSignedPrekeyWire(context: ProtocolContext): Promise<SignedPrekey | undefined> {
	const current = currentSignedPrekey(await context.stores.prekeys.listSignedPrekeys());
	return current ? signedPrekeyWire(current) : undefined;
}

/**
 * When the relay holds fewer than the threshold, generates and stores enough one-time prekeys to fill it
 * (at most 100 per upload, 200 held) and returns their wire form; otherwise returns [].
 */
export function refillOneTimePrekeys(
	context: ProtocolContext,
	relayCount: number,
	options: { readonly threshold?: number } = {},
): Promise<OneTimePrekey[]> {
	return context.locks.run(PREKEY_LOCK, async () => {
		const threshold = options.threshold ?? ONE_TIME_PREKEY_REFILL_THRESHOLD;
		if (relayCount >= threshold) return [];
		const count = Math.min(
			MAX_ONE_TIME_PREKEYS_PER_UPLOAD,
			MAX_ONE_TIME_PREKEYS_HELD - Math.max(0, relayCount),
		);
		if (count <= 0) return [];
		const identity = await context.localIdentity();
		const ids = await counters(context);
		const fresh = await generateOneTimePrekeys(identity, ids.nextOneTimePrekeyId, count, context.clock.now());
		await context.stores.prekeys.storeKeyIdCounters({
			...ids,
			nextOneTimePrekeyId: ids.nextOneTimePrekeyId + count,
		});
		await context.stores.prekeys.storeOneTimePrekeys(fresh.records);
		return fresh.wire;
	});
}

/**
 * Suite 2: when the relay holds fewer than the threshold one-time KEM prekeys, generates and stores at
 * most 25 (and up to 100 held) and returns their wire form; otherwise returns [].
 */
export function refillKemPrekeys(
	context: ProtocolContext,
	relayCount: number,
	options: { readonly threshold?: number } = {},
): Promise<KemPrekey[]> {
	return context.locks.run(PREKEY_LOCK, async () => {
		const threshold = options.threshold ?? KEM_PREKEY_REFILL_THRESHOLD;
		if (relayCount >= threshold) return [];
		const count = Math.min(MAX_KEM_PREKEYS_PER_UPLOAD, MAX_KEM_PREKEYS_HELD - Math.max(0, relayCount));
		if (count <= 0) return [];
		const identity = await context.localIdentity();
		const ids = await counters(context);
		const first = ids.nextKemPrekeyId ?? 1;
		const fresh = await generateKemPrekeys(identity, first, count, context.clock.now());
		await context.stores.prekeys.storeKeyIdCounters({ ...ids, nextKemPrekeyId: first + count });
		await context.stores.prekeys.storeKemPrekeys(fresh.records);
		return fresh.wire;
	});
}

/** What pruneOneTimePrekeys did. */
export interface OneTimePrekeyPruning {
	/** Keys newly marked as gone from the relay (kept for now). */
	readonly markedGone: number;
	/** Keys the relay lists again, whose mark was cleared. */
	readonly restored: number;
	/** Gone keys deleted: past retention, or over the local cap. */
	readonly deleted: number;
	/** One-time prekeys held afterwards. */
	readonly held: number;
}

function byLongestGone(a: OneTimePrekeyState, b: OneTimePrekeyState): number {
	return (a.goneSince ?? 0) - (b.goneSince ?? 0) || a.keyId - b.keyId;
}

/**
 * Deletes the private halves of one-time prekeys the relay no longer holds, once no message can still
 * need them. `relayIds` are the ids the relay reports holding (GET /v1/keys); `keep` are ids just
 * generated for an upload that may not have reached the relay yet. Every other local key is marked with
 * the time it was first seen missing (`goneSince`, from context.clock), deleted when it has been gone
 * ONE_TIME_PREKEY_GONE_RETENTION_MS, and, while more than MAX_LOCAL_ONE_TIME_PREKEYS are held, the ones
 * gone longest are deleted first. A key the relay lists again loses its mark (a status read before a
 * concurrent upload). Keys in `relayIds` or `keep` are never deleted.
 */
export function pruneOneTimePrekeys(
	context: ProtocolContext,
	relayIds: Iterable<number>,
	options: { readonly keep?: Iterable<number> } = {},
): Promise<OneTimePrekeyPruning> {
	const store = context.stores.prekeys;
	return pruneHeld(context, relayIds, options.keep ?? [], MAX_LOCAL_ONE_TIME_PREKEYS, {
		list: () => store.listOneTimePrekeyStates(),
		remove: (keyIds) => store.removeOneTimePrekeys(keyIds),
		setGoneSince: (changes) => store.setOneTimePrekeysGoneSince(changes),
	});
}

/** The most one-time KEM prekeys kept locally (suite 2): the relay's 100 plus as many handed out. */
export const MAX_LOCAL_KEM_PREKEYS = 2 * MAX_KEM_PREKEYS_HELD;

/** Suite 2: pruneOneTimePrekeys for the one-time KEM prekeys, with the same retention rules. */
export function pruneKemPrekeys(
	context: ProtocolContext,
	relayIds: Iterable<number>,
	options: { readonly keep?: Iterable<number> } = {},
): Promise<OneTimePrekeyPruning> {
	const store = context.stores.prekeys;
	return pruneHeld(context, relayIds, options.keep ?? [], MAX_LOCAL_KEM_PREKEYS, {
		list: () => store.listKemPrekeyStates(),
		remove: (keyIds) => store.removeKemPrekeys(keyIds),
		setGoneSince: (changes) => store.setKemPrekeysGoneSince(changes),
	});
}

/** The store operations pruning needs, for one kind of one-time key. */
interface HeldKeys {
	list(): Promise<readonly OneTimePrekeyState[]>;
	remove(keyIds: readonly number[]): Promise<void>;
	setGoneSince(changes: readonly OneTimePrekeyGoneChange[]): Promise<void>;
}

function pruneHeld(
	context: ProtocolContext,
	relayIds: Iterable<number>,
	keep: Iterable<number>,
	maxLocal: number,
	held: HeldKeys,
): Promise<OneTimePrekeyPruning> {
	return context.locks.run(PREKEY_LOCK, async () => {
		const now = context.clock.now();
		const listed = new Set(relayIds);
		for (const keyId of keep) listed.add(keyId);
		const changes: OneTimePrekeyGoneChange[] = [];
		const gone: OneTimePrekeyState[] = [];
		const doomed = new Set<number>();
		let onRelay = 0;
		let restored = 0;
		const states = await held.list();
		for (const state of states) {
			if (listed.has(state.keyId)) {
				onRelay += 1;
				if (state.goneSince !== undefined) {
					changes.push({ keyId: state.keyId, goneSince: undefined });
					restored += 1;
				}
			} else if (state.goneSince === undefined) {
				changes.push({ keyId: state.keyId, goneSince: now });
				gone.push({ keyId: state.keyId, goneSince: now });
			} else if (now - state.goneSince >= ONE_TIME_PREKEY_GONE_RETENTION_MS) {
				doomed.add(state.keyId);
			} else {
				gone.push(state);
			}
		}
		const room = Math.max(0, maxLocal - onRelay);
		if (gone.length > room) {
			gone.sort(byLongestGone);
			for (const state of gone.slice(0, gone.length - room)) doomed.add(state.keyId);
		}
		// Deleting first: if we stop half-way, nothing is kept that should not be.
		if (doomed.size > 0) await held.remove([...doomed]);
		const writes = changes.filter((change) => !doomed.has(change.keyId));
		if (writes.length > 0) await held.setGoneSince(writes);
		return {
			markedGone: writes.filter((change) => change.goneSince !== undefined).length,
			restored,
			deleted: doomed.size,
			held: states.length - doomed.size,
		};
	});
}

/** What GET /v1/keys reports (protocol/wire/http.ts PrekeyStatus). */
export interface RelayPrekeyStatus {
	readonly oneTimePrekeys: number;
	/** The ids of the one-time prekeys the relay holds: local ones missing from it are pruned. */
	readonly oneTimePrekeyIds: readonly number[];
	readonly signedPrekeyId: number | null;
	/** Suite 2: whether the relay's signed prekey carries its KEM key (absent from older relays). */
	readonly signedPrekeyKem?: boolean | undefined;
	/** Suite 2: the one-time KEM prekey ids the relay holds (absent from older relays: none). */
	readonly kemPrekeyIds?: readonly number[] | undefined;
}

/**
 * The PUT /v1/keys body this phone should upload now, or null when the relay is up to date. Also prunes
 * the one-time prekeys the relay no longer holds (pruneOneTimePrekeys), keeping the ones it generates.
 */
export async function prepareKeyUpload(
	context: ProtocolContext,
	status: RelayPrekeyStatus,
): Promise<{
	signedPrekey?: SignedPrekey;
	oneTimePrekeys: OneTimePrekey[];
	kemPrekeys?: KemPrekey[];
} | null> {
	let signedPrekey = await rotateSignedPrekey(context);
	if (!signedPrekey) {
		const current = await currentSignedPrekeyWire(context);
		const stale = current?.kemPublicKey !== undefined && status.signedPrekeyKem === false;
		if (current && (current.keyId !== status.signedPrekeyId || stale)) signedPrekey = current;
	}
	const oneTimePrekeys = await refillOneTimePrekeys(context, status.oneTimePrekeys);
	await pruneOneTimePrekeys(context, status.oneTimePrekeyIds, {
		keep: oneTimePrekeys.map((prekey) => prekey.keyId),
	});
	const relayKemIds = status.kemPrekeyIds ?? [];
	const kemPrekeys = await refillKemPrekeys(context, relayKemIds.length);
	await pruneKemPrekeys(context, relayKemIds, { keep: kemPrekeys.map((prekey) => prekey.keyId) });
	if (!signedPrekey && oneTimePrekeys.length === 0 && kemPrekeys.length === 0) return null;
	return {
		...(signedPrekey ? { signedPrekey } : {}),
		oneTimePrekeys,
		...(kemPrekeys.length > 0 ? { kemPrekeys } : {}),
	};
}
