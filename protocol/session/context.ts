// The context every protocol operation receives: our phone, the stores, the clock, and what the library
// keeps in memory between operations (imported peer keys, the local identity, per-peer locks).
// Create one context per local identity and share it between everything that sends or receives:
// per-peer serialisation only holds within one context.

import { importEcdsaPublicKey } from "../crypto/ecdsa.ts";
import { encodeBase64Url } from "../encoding/base64url.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { E164_PATTERN } from "../wire/phone.ts";
import { type Clock, systemClock } from "./clock.ts";
import { ProtocolError } from "./errors.ts";
import { KeyedLock } from "./lock.ts";
import type { LocalIdentity, ProtocolStores } from "./stores.ts";

const VERIFIER_CACHE_LIMIT = 512;
/** Lock key for prekey generation and rotation (not a phone number, so it never collides with a peer). */
export const PREKEY_LOCK = "prekeys";

export interface ProtocolContextOptions {
	/** Our own phone number, E.164. */
	readonly phone: string;
	readonly stores: ProtocolStores;
	/** Defaults to the system clock. */
	readonly clock?: Clock;
}

export class ProtocolContext {
	readonly phone: string;
	readonly stores: ProtocolStores;
	readonly clock: Clock;
	readonly locks = new KeyedLock();
	#identity: LocalIdentity | undefined;
	readonly #verifiers = new Map<string, CryptoKey>();
	readonly #verifiersByObject = new WeakMap<Uint8Array, CryptoKey>();

	constructor(options: ProtocolContextOptions) {
		assertPhone(options.phone);
		this.phone = options.phone;
		this.stores = options.stores;
		this.clock = options.clock ?? systemClock;
	}

	/** The local identity, loaded once from the identity store. */
	async localIdentity(): Promise<LocalIdentity> {
		if (this.#identity) return this.#identity;
		const identity = await this.stores.identities.loadLocalIdentity();
		if (!identity) throw new ProtocolError("no_identity", "the identity store holds no local identity");
		this.#identity = identity;
		return identity;
	}

	/** An imported ECDSA verifier for a signing key, cached (imports are the costly part of a verify). */
	async verifier(signingKey: Bytes): Promise<CryptoKey> {
		// Fast path: the same key bytes object (a session's pinned key held by an in-memory store).
		const byObject = this.#verifiersByObject.get(signingKey);
		if (byObject) return byObject;
		const cacheKey = encodeBase64Url(signingKey);
		const cached = this.#verifiers.get(cacheKey);
		if (cached) {
			this.#verifiersByObject.set(signingKey, cached);
			return cached;
		}
		const key = await importEcdsaPublicKey(signingKey);
		if (this.#verifiers.size >= VERIFIER_CACHE_LIMIT) {
			const oldest = this.#verifiers.keys().next();
			if (!oldest.done) this.#verifiers.delete(oldest.value);
		}
		this.#verifiers.set(cacheKey, key);
		this.#verifiersByObject.set(signingKey, key);
		return key;
	}
}

export function createProtocolContext(options: ProtocolContextOptions): ProtocolContext {
	return new ProtocolContext(options);
}

export function assertPhone(phone: string): void {
	if (!E164_PATTERN.test(phone)) {
		throw new ProtocolError("invalid_argument", "phone numbers must be canonical E.164 (+ and 7-15 digits)");
	}
}
