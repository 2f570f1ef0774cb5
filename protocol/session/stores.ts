// Store interfaces and the records they hold (docs/E2E-PROTOCOL.md §Using the library). The library
// never persists anything itself: the CLI implements these on disk (serialising with serialize.ts), the
// browser on IndexedDB (records are structured-cloneable: Uint8Array, Map, Set and CryptoKey), tests
// in memory (memory-store.ts).
//
// Contract: a load may return the stored object itself; the library changes a loaded record only after
// every check of an operation has passed, and then stores it. A failed operation stores nothing.
// Every record carries `v` (state version) and the key-bearing ones the suite they belong to.

import type { MlKemKeyPair } from "../crypto/ml-kem.ts";
import type { P256KeyPair } from "../crypto/p256.ts";
import type { Bytes } from "../encoding/bytes.ts";
import type { KemHeaderFields } from "./header.ts";

export const STATE_VERSION = 1;

export interface LocalIdentity {
	readonly v: typeof STATE_VERSION;
	readonly suite: number;
	/** ECDSA P-256: signs the DH key, prekeys and every envelope. */
	readonly signing: P256KeyPair;
	/** ECDH P-256: the identity key of the X3DH-style setup. */
	readonly dh: P256KeyPair;
	/** Signature of `dh.publicKey` by `signing` (crypto/key-signatures.ts). */
	readonly dhKeySignature: Bytes;
	readonly createdAt: number;
}

/** A peer's pinned identity (trust on first use). */
export interface TrustedIdentity {
	readonly v: typeof STATE_VERSION;
	readonly phone: string;
	readonly signingKey: Bytes;
	readonly dhKey: Bytes;
	readonly dhKeySignature: Bytes;
	readonly firstSeenAt: number;
	/** Set by markIdentityVerified after the users compared safety numbers. */
	readonly verified: boolean;
	/**
	 * Keys pinned for this phone before (newest first, at most MAX_PREVIOUS_IDENTITIES): a message signed
	 * by one of them is a key change back to it (e.g. the contact's earlier install), never a forgery.
	 */
	readonly previous?: readonly PreviousIdentity[];
}

/** Earlier identities remembered per contact (enough for a few reinstalls). */
export const MAX_PREVIOUS_IDENTITIES = 4;

export interface PreviousIdentity {
	readonly signingKey: Bytes;
	readonly dhKey: Bytes;
	readonly dhKeySignature: Bytes;
}

export interface SignedPrekeyRecord {
	readonly v: typeof STATE_VERSION;
	/** 2 when `kem` is present (the signature then covers it), 1 for records made before suite 2. */
	readonly suite: number;
	readonly keyId: number;
	readonly keyPair: P256KeyPair;
	/** Suite 2: the last-resort ML-KEM-768 prekey, same key id, rotated and retained with this one. */
	readonly kem?: MlKemKeyPair;
	readonly signature: Bytes;
	readonly createdAt: number;
	/** When a newer signed prekey replaced this one; deleted SIGNED_PREKEY_RETENTION_MS later. */
	readonly replacedAt?: number;
}

export interface OneTimePrekeyRecord {
	readonly v: typeof STATE_VERSION;
	readonly suite: number;
	readonly keyId: number;
	readonly keyPair: P256KeyPair;
	readonly createdAt: number;
	/**
	 * When the relay's prekey status first no longer listed this key (handed out in a bundle, or never
	 * uploaded); deleted ONE_TIME_PREKEY_GONE_RETENTION_MS later, or earlier under the local cap
	 * (prekeys.ts pruneOneTimePrekeys). Absent while the relay holds it, and in records stored before it
	 * existed.
	 */
	readonly goneSince?: number;
}

/** Suite 2: a one-time ML-KEM-768 prekey (its own id counter); deleted and pruned like OneTimePrekeyRecord. */
export interface KemPrekeyRecord {
	readonly v: typeof STATE_VERSION;
	readonly suite: number;
	readonly keyId: number;
	readonly keyPair: MlKemKeyPair;
	readonly signature: Bytes;
	readonly createdAt: number;
	readonly goneSince?: number;
}

/** What pruning needs to know of a held one-time prekey, without loading its private key. */
export interface OneTimePrekeyState {
	readonly keyId: number;
	readonly goneSince?: number;
}

/** A change of one held one-time prekey's `goneSince` (undefined: the relay holds it again). */
export interface OneTimePrekeyGoneChange {
	readonly keyId: number;
	readonly goneSince: number | undefined;
}

export interface KeyIdCounters {
	readonly nextSignedPrekeyId: number;
	readonly nextOneTimePrekeyId: number;
	/** Suite 2 (absent in counters stored before it: starts at 1). */
	readonly nextKemPrekeyId?: number;
}

export interface ChainState {
	chainKey: Bytes;
	/** Number of the next message in this chain. */
	n: number;
}

/** One Double Ratchet session with a peer (the state variables of the Double Ratchet spec §3.2). */
export interface SessionState {
	readonly v: typeof STATE_VERSION;
	readonly suite: number;
	readonly id: Bytes;
	readonly role: "initiator" | "responder";
	/** SHA-256 associated data binding both identities and phones (crypto/x3dh.ts). */
	readonly ad: Bytes;
	readonly peerSigningKey: Bytes;
	readonly peerDhKey: Bytes;
	readonly createdAt: number;
	/** RK */
	rootKey: Bytes;
	/** DHs */
	ratchet: P256KeyPair;
	/** DHr (null until the initiator hears back) */
	remoteRatchet: Bytes | null;
	/** CKs, Ns */
	send: ChainState;
	/** CKr, Nr */
	recv: ChainState | null;
	/** PN */
	pn: number;
	/** Set on the initiator until the first reply: every message then carries the prekey header. */
	pendingPrekey: {
		readonly signedPrekeyId: number;
		readonly oneTimePrekeyId: number | undefined;
		/** Suite 2: the KEM encapsulation, repeated in every prekey header until the first reply. */
		readonly kem?: KemHeaderFields;
	} | null;
	/** MKSKIPPED: "<base64url ratchet key>:<n>" → message key, oldest first. */
	skipped: Map<string, Bytes>;
	/** Base64url of the last few remote ratchet keys, to tell an old message from a new ratchet step. */
	previousRemoteRatchets: string[];
}

/** Everything held for one peer: its sessions (active first) and recently received message ids. */
export interface SessionRecord {
	readonly v: typeof STATE_VERSION;
	readonly peer: string;
	sessions: SessionState[];
	/** Message ids received from this peer, oldest first (replay detection). */
	received: Set<string>;
	/** Base64url ids of sessions no longer held, oldest first (replay detection of their messages). */
	retired: Set<string>;
}

export interface IdentityStore {
	loadLocalIdentity(): Promise<LocalIdentity | undefined>;
	storeLocalIdentity(identity: LocalIdentity): Promise<void>;
	loadTrustedIdentity(phone: string): Promise<TrustedIdentity | undefined>;
	storeTrustedIdentity(record: TrustedIdentity): Promise<void>;
}

export interface PrekeyStore {
	loadSignedPrekey(keyId: number): Promise<SignedPrekeyRecord | undefined>;
	listSignedPrekeys(): Promise<readonly SignedPrekeyRecord[]>;
	storeSignedPrekey(record: SignedPrekeyRecord): Promise<void>;
	removeSignedPrekey(keyId: number): Promise<void>;
	loadOneTimePrekey(keyId: number): Promise<OneTimePrekeyRecord | undefined>;
	storeOneTimePrekeys(records: readonly OneTimePrekeyRecord[]): Promise<void>;
	removeOneTimePrekey(keyId: number): Promise<void>;
	/** Deletes several one-time prekeys (ids not held are ignored). */
	removeOneTimePrekeys(keyIds: readonly number[]): Promise<void>;
	countOneTimePrekeys(): Promise<number>;
	/** Every held one-time prekey's id and `goneSince`, in any order. */
	listOneTimePrekeyStates(): Promise<readonly OneTimePrekeyState[]>;
	/**
	 * Sets (or, with undefined, clears) `goneSince` on the held one-time prekeys named in `changes`.
	 * Must never re-create a record: an id that is no longer held (a message used it meanwhile, and
	 * decryptMessage deleted it) is skipped, so a used private key cannot come back. Check and write
	 * atomically with respect to removeOneTimePrekey.
	 */
	setOneTimePrekeysGoneSince(changes: readonly OneTimePrekeyGoneChange[]): Promise<void>;
	loadKeyIdCounters(): Promise<KeyIdCounters | undefined>;
	storeKeyIdCounters(counters: KeyIdCounters): Promise<void>;
	// Suite 2's one-time KEM prekeys, with the same contract as the one-time prekey methods above.
	loadKemPrekey(keyId: number): Promise<KemPrekeyRecord | undefined>;
	storeKemPrekeys(records: readonly KemPrekeyRecord[]): Promise<void>;
	/** Deletes several one-time KEM prekeys (ids not held are ignored). */
	removeKemPrekeys(keyIds: readonly number[]): Promise<void>;
	listKemPrekeyStates(): Promise<readonly OneTimePrekeyState[]>;
	/** Like setOneTimePrekeysGoneSince: never re-creates a record that was removed meanwhile. */
	setKemPrekeysGoneSince(changes: readonly OneTimePrekeyGoneChange[]): Promise<void>;
}

export interface SessionStore {
	loadSessionRecord(peer: string): Promise<SessionRecord | undefined>;
	storeSessionRecord(record: SessionRecord): Promise<void>;
}

export interface ProtocolStores {
	readonly identities: IdentityStore;
	readonly prekeys: PrekeyStore;
	readonly sessions: SessionStore;
}
