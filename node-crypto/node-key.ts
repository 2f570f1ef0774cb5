// The node backend's key (backend.ts): a KeyObject behind the CryptoKey interface the library types its
// keys with (type, extractable, algorithm, usages, all read-only). The KeyObject is in a private field:
// only keyObjectOf (used by backend.ts alone) can read it, so no code path can export a key the library
// made non-extractable. Like a CryptoKey, it cannot be structured-cloned into IndexedDB; nothing in Node
// needs that (the CLI serialises extractable keys to its files, protocol/session/serialize.ts).

import { KeyObject } from "node:crypto";
import type { EcKind } from "../protocol/crypto/backend.ts";

// Set by NodeKey's static block: module-private access to the private field, for keyObjectOf.
let objectOfNodeKey: (key: NodeKey) => KeyObject;

export class NodeKey implements CryptoKey {
	readonly type: KeyType;
	readonly extractable: boolean;
	readonly algorithm: KeyAlgorithm;
	readonly usages: KeyUsage[];
	readonly #object: KeyObject;

	constructor(object: KeyObject, algorithm: KeyAlgorithm, extractable: boolean, usages: KeyUsage[]) {
		this.#object = object;
		this.type = object.type;
		this.algorithm = algorithm;
		// A public key is always extractable (as in WebCrypto); a secret one never is here.
		this.extractable = object.type === "public" || extractable;
		this.usages = Object.freeze(usages) as KeyUsage[];
		Object.freeze(this);
	}

	static {
		objectOfNodeKey = (key) => key.#object;
	}

	get [Symbol.toStringTag](): string {
		return "NodeKey";
	}
}

export function ecAlgorithm(kind: EcKind): EcKeyAlgorithm {
	return { name: kind, namedCurve: "P-256" };
}

/** The KeyObject behind a key of either backend (a WebCrypto CryptoKey converts without copying). */
export function keyObjectOf(key: CryptoKey): KeyObject {
	if (key instanceof NodeKey) return objectOfNodeKey(key);
	if (key instanceof globalThis.CryptoKey) return KeyObject.from(key);
	throw new TypeError("not a key of the node or WebCrypto backend");
}

/** "sha256" or "sha512", the hash an HMAC key was imported for. */
export function hmacHashOf(key: CryptoKey): "sha256" | "sha512" {
	const hash = (key.algorithm as HmacKeyAlgorithm).hash?.name;
	if (hash === "SHA-256") return "sha256";
	if (hash === "SHA-512") return "sha512";
	throw new TypeError("not an HMAC-SHA-256 or HMAC-SHA-512 key");
}
