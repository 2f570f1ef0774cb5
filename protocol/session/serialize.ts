// Explicit, versioned serialisation of stored state (docs/E2E-PROTOCOL.md §Stored state), for stores
// that cannot keep CryptoKeys (the CLI's files). Browsers keep the records as they are in IndexedDB and
// never need this. Every document is JSON with `kind` and `v` (state version) and, where keys are
// involved, `suite`; an unknown `v` or `suite` is refused with unsupported_version, a bad shape with
// malformed. Byte fields are base64url; a private key is {d: scalar, pub: SEC1 point}, so only
// extractable keys can be serialised (not_extractable otherwise). ML-KEM-768 key pairs (suite 2) are
// {pub: encapsulation key, sk: decapsulation key}, both base64url bytes.
// These documents contain private keys and message keys: store them with file permissions 0600.

import * as v from "valibot";
import {
	ML_KEM_768_PUBLIC_KEY_BYTES,
	ML_KEM_768_SECRET_KEY_BYTES,
	type MlKemKeyPair,
} from "../crypto/ml-kem.ts";
import { exportP256Scalar, importP256KeyPair, type P256KeyPair } from "../crypto/p256.ts";
import { SUPPORTED_SUITES } from "../crypto/suite.ts";
import type { EcKind } from "../crypto/webcrypto.ts";
import { decodeBase64Url, encodeBase64Url } from "../encoding/base64url.ts";
import type { Bytes } from "../encoding/bytes.ts";
import { KEM_CIPHERTEXT_BYTES, KEM_PREKEY_KINDS } from "../wire/envelope.ts";
import { E164_PATTERN } from "../wire/phone.ts";
import { base64UrlBytes, KeyId, P256PublicKey, P256Signature } from "../wire/primitives.ts";
import { ProtocolError } from "./errors.ts";
import {
	type KemPrekeyRecord,
	type LocalIdentity,
	MAX_PREVIOUS_IDENTITIES,
	type OneTimePrekeyRecord,
	type OneTimePrekeyState,
	type SessionRecord,
	type SessionState,
	type SignedPrekeyRecord,
	STATE_VERSION,
	type TrustedIdentity,
} from "./stores.ts";

const Count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));
const Time = v.pipe(v.number(), v.integer());
const StoredPhone = v.pipe(v.string(), v.regex(E164_PATTERN));
const Key32 = base64UrlBytes(32, "key");
const KeyPairJson = v.strictObject({ d: base64UrlBytes(32, "private key"), pub: P256PublicKey });
const KemKeyPairJson = v.strictObject({
	pub: base64UrlBytes(ML_KEM_768_PUBLIC_KEY_BYTES, "ML-KEM-768 public key"),
	sk: base64UrlBytes(ML_KEM_768_SECRET_KEY_BYTES, "ML-KEM-768 secret key"),
});
const KemHeaderJson = v.strictObject({
	kind: v.picklist(KEM_PREKEY_KINDS),
	keyId: KeyId,
	ciphertext: base64UrlBytes(KEM_CIPHERTEXT_BYTES, "KEM ciphertext"),
});

function kemKeyPairToJson(pair: MlKemKeyPair) {
	return { pub: encodeBase64Url(pair.publicKey), sk: encodeBase64Url(pair.secretKey) };
}

function kemKeyPairFromJson(json: { pub: string; sk: string }): MlKemKeyPair {
	return { publicKey: bytes(json.pub), secretKey: bytes(json.sk) };
}
const Suite = v.pipe(
	v.number(),
	v.check((suite) => SUPPORTED_SUITES.includes(suite), "unsupported suite"),
);

const Header = v.object({ kind: v.string(), v: v.number() });

function bytes(text: string): Bytes {
	const out = decodeBase64Url(text);
	if (!out) throw new ProtocolError("malformed", "a field is not base64url");
	return out;
}

function parseDocument<S extends v.GenericSchema>(kind: string, schema: S, text: string): v.InferOutput<S> {
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch {
		throw new ProtocolError("malformed", `stored ${kind} is not JSON`);
	}
	const header = v.safeParse(Header, data);
	if (!header.success || header.output.kind !== kind)
		throw new ProtocolError("malformed", `not a stored ${kind}`);
	if (header.output.v !== STATE_VERSION) {
		throw new ProtocolError(
			"unsupported_version",
			`stored ${kind} version ${header.output.v} is not supported`,
		);
	}
	if (
		typeof data === "object" &&
		data !== null &&
		"suite" in data &&
		!SUPPORTED_SUITES.includes(Number(data.suite))
	) {
		throw new ProtocolError("unsupported_version", `stored ${kind} uses an unsupported suite`);
	}
	const parsed = v.safeParse(schema, data);
	if (!parsed.success) throw new ProtocolError("malformed", `stored ${kind}: ${parsed.issues[0].message}`);
	return parsed.output;
}

async function keyPairToJson(pair: P256KeyPair) {
	return {
		d: encodeBase64Url(await exportP256Scalar(pair.privateKey)),
		pub: encodeBase64Url(pair.publicKey),
	};
}

function keyPairFromJson(kind: EcKind, json: { d: string; pub: string }, extractable: boolean) {
	return importP256KeyPair(kind, bytes(json.d), bytes(json.pub), extractable);
}

export interface DeserializeOptions {
	/** Whether imported private keys stay extractable (default true, so they can be serialised again). */
	readonly extractable?: boolean;
}

// ---- Local identity ----

const LocalIdentityJson = v.strictObject({
	kind: v.literal("friendly.local-identity"),
	v: v.literal(STATE_VERSION),
	suite: Suite,
	signing: KeyPairJson,
	dh: KeyPairJson,
	dhKeySignature: P256Signature,
	createdAt: Time,
});

export async function serializeLocalIdentity(identity: LocalIdentity): Promise<string> {
	return JSON.stringify({
		kind: "friendly.local-identity",
		v: identity.v,
		suite: identity.suite,
		signing: await keyPairToJson(identity.signing),
		dh: await keyPairToJson(identity.dh),
		dhKeySignature: encodeBase64Url(identity.dhKeySignature),
		createdAt: identity.createdAt,
	});
}

export async function deserializeLocalIdentity(
	text: string,
	options: DeserializeOptions = {},
): Promise<LocalIdentity> {
	const json = parseDocument("friendly.local-identity", LocalIdentityJson, text);
	const extractable = options.extractable ?? true;
	return {
		v: STATE_VERSION,
		suite: json.suite,
		signing: await keyPairFromJson("ECDSA", json.signing, extractable),
		dh: await keyPairFromJson("ECDH", json.dh, extractable),
		dhKeySignature: bytes(json.dhKeySignature),
		createdAt: json.createdAt,
	};
}

// ---- Trusted (pinned) identities ----

const TrustedIdentityJson = v.strictObject({
	kind: v.literal("friendly.trusted-identity"),
	v: v.literal(STATE_VERSION),
	phone: StoredPhone,
	signingKey: P256PublicKey,
	dhKey: P256PublicKey,
	dhKeySignature: P256Signature,
	firstSeenAt: Time,
	verified: v.boolean(),
	previous: v.optional(
		v.pipe(
			v.array(
				v.strictObject({ signingKey: P256PublicKey, dhKey: P256PublicKey, dhKeySignature: P256Signature }),
			),
			v.maxLength(MAX_PREVIOUS_IDENTITIES),
		),
	),
});

export function serializeTrustedIdentity(record: TrustedIdentity): string {
	return JSON.stringify({
		kind: "friendly.trusted-identity",
		v: record.v,
		phone: record.phone,
		signingKey: encodeBase64Url(record.signingKey),
		dhKey: encodeBase64Url(record.dhKey),
		dhKeySignature: encodeBase64Url(record.dhKeySignature),
		firstSeenAt: record.firstSeenAt,
		verified: record.verified,
		...(record.previous && record.previous.length > 0
			? {
					previous: record.previous.map((keys) => ({
						signingKey: encodeBase64Url(keys.signingKey),
						dhKey: encodeBase64Url(keys.dhKey),
						dhKeySignature: encodeBase64Url(keys.dhKeySignature),
					})),
				}
			: {}),
	});
}

export function deserializeTrustedIdentity(text: string): TrustedIdentity {
	const json = parseDocument("friendly.trusted-identity", TrustedIdentityJson, text);
	return {
		v: STATE_VERSION,
		phone: json.phone,
		signingKey: bytes(json.signingKey),
		dhKey: bytes(json.dhKey),
		dhKeySignature: bytes(json.dhKeySignature),
		firstSeenAt: json.firstSeenAt,
		verified: json.verified,
		...(json.previous
			? {
					previous: json.previous.map((keys) => ({
						signingKey: bytes(keys.signingKey),
						dhKey: bytes(keys.dhKey),
						dhKeySignature: bytes(keys.dhKeySignature),
					})),
				}
			: {}),
	};
}

// ---- Prekeys ----

const SignedPrekeyJson = v.strictObject({
	kind: v.literal("friendly.signed-prekey"),
	v: v.literal(STATE_VERSION),
	suite: Suite,
	keyId: KeyId,
	keyPair: KeyPairJson,
	kem: v.optional(KemKeyPairJson),
	signature: P256Signature,
	createdAt: Time,
	replacedAt: v.optional(Time),
});

export async function serializeSignedPrekey(record: SignedPrekeyRecord): Promise<string> {
	return JSON.stringify({
		kind: "friendly.signed-prekey",
		v: record.v,
		suite: record.suite,
		keyId: record.keyId,
		keyPair: await keyPairToJson(record.keyPair),
		...(record.kem ? { kem: kemKeyPairToJson(record.kem) } : {}),
		signature: encodeBase64Url(record.signature),
		createdAt: record.createdAt,
		...(record.replacedAt === undefined ? {} : { replacedAt: record.replacedAt }),
	});
}

export async function deserializeSignedPrekey(
	text: string,
	options: DeserializeOptions = {},
): Promise<SignedPrekeyRecord> {
	const json = parseDocument("friendly.signed-prekey", SignedPrekeyJson, text);
	return {
		v: STATE_VERSION,
		suite: json.suite,
		keyId: json.keyId,
		keyPair: await keyPairFromJson("ECDH", json.keyPair, options.extractable ?? true),
		...(json.kem ? { kem: kemKeyPairFromJson(json.kem) } : {}),
		signature: bytes(json.signature),
		createdAt: json.createdAt,
		...(json.replacedAt === undefined ? {} : { replacedAt: json.replacedAt }),
	};
}

const OneTimePrekeyJson = v.strictObject({
	kind: v.literal("friendly.one-time-prekey"),
	v: v.literal(STATE_VERSION),
	suite: Suite,
	keyId: KeyId,
	keyPair: KeyPairJson,
	createdAt: Time,
	/** Absent in records written before pruning existed, and while the relay holds the key. */
	goneSince: v.optional(Time),
});

export async function serializeOneTimePrekey(record: OneTimePrekeyRecord): Promise<string> {
	return JSON.stringify({
		kind: "friendly.one-time-prekey",
		v: record.v,
		suite: record.suite,
		keyId: record.keyId,
		keyPair: await keyPairToJson(record.keyPair),
		createdAt: record.createdAt,
		...(record.goneSince === undefined ? {} : { goneSince: record.goneSince }),
	});
}

/** A stored one-time prekey's id and `goneSince`, checked like deserializeOneTimePrekey but without importing the key. */
export function oneTimePrekeyState(text: string): OneTimePrekeyState {
	const json = parseDocument("friendly.one-time-prekey", OneTimePrekeyJson, text);
	return json.goneSince === undefined
		? { keyId: json.keyId }
		: { keyId: json.keyId, goneSince: json.goneSince };
}

export async function deserializeOneTimePrekey(
	text: string,
	options: DeserializeOptions = {},
): Promise<OneTimePrekeyRecord> {
	const json = parseDocument("friendly.one-time-prekey", OneTimePrekeyJson, text);
	return {
		v: STATE_VERSION,
		suite: json.suite,
		keyId: json.keyId,
		keyPair: await keyPairFromJson("ECDH", json.keyPair, options.extractable ?? true),
		createdAt: json.createdAt,
		...(json.goneSince === undefined ? {} : { goneSince: json.goneSince }),
	};
}

const KemPrekeyJson = v.strictObject({
	kind: v.literal("friendly.kem-prekey"),
	v: v.literal(STATE_VERSION),
	suite: Suite,
	keyId: KeyId,
	keyPair: KemKeyPairJson,
	signature: P256Signature,
	createdAt: Time,
	goneSince: v.optional(Time),
});

/** Suite 2: a one-time ML-KEM-768 prekey (no CryptoKey inside, so no extractability question). */
export function serializeKemPrekey(record: KemPrekeyRecord): string {
	return JSON.stringify({
		kind: "friendly.kem-prekey",
		v: record.v,
		suite: record.suite,
		keyId: record.keyId,
		keyPair: kemKeyPairToJson(record.keyPair),
		signature: encodeBase64Url(record.signature),
		createdAt: record.createdAt,
		...(record.goneSince === undefined ? {} : { goneSince: record.goneSince }),
	});
}

export function deserializeKemPrekey(text: string): KemPrekeyRecord {
	const json = parseDocument("friendly.kem-prekey", KemPrekeyJson, text);
	return {
		v: STATE_VERSION,
		suite: json.suite,
		keyId: json.keyId,
		keyPair: kemKeyPairFromJson(json.keyPair),
		signature: bytes(json.signature),
		createdAt: json.createdAt,
		...(json.goneSince === undefined ? {} : { goneSince: json.goneSince }),
	};
}

/** A stored one-time KEM prekey's id and `goneSince`. */
export function kemPrekeyState(text: string): OneTimePrekeyState {
	const json = parseDocument("friendly.kem-prekey", KemPrekeyJson, text);
	return json.goneSince === undefined
		? { keyId: json.keyId }
		: { keyId: json.keyId, goneSince: json.goneSince };
}

// ---- Sessions ----

const ChainJson = v.strictObject({ chainKey: Key32, n: Count });

const SessionStateJson = v.strictObject({
	v: v.literal(STATE_VERSION),
	suite: Suite,
	id: base64UrlBytes(16, "session id"),
	role: v.picklist(["initiator", "responder"]),
	ad: Key32,
	peerSigningKey: P256PublicKey,
	peerDhKey: P256PublicKey,
	createdAt: Time,
	rootKey: Key32,
	ratchet: KeyPairJson,
	remoteRatchet: v.nullable(P256PublicKey),
	send: ChainJson,
	recv: v.nullable(ChainJson),
	pn: Count,
	pendingPrekey: v.nullable(
		v.strictObject({
			signedPrekeyId: KeyId,
			oneTimePrekeyId: v.optional(KeyId),
			kem: v.optional(KemHeaderJson),
		}),
	),
	skipped: v.pipe(v.array(v.tuple([v.pipe(v.string(), v.maxLength(120)), Key32])), v.maxLength(1000)),
	previousRemoteRatchets: v.pipe(v.array(P256PublicKey), v.maxLength(64)),
});

const SessionRecordJson = v.strictObject({
	kind: v.literal("friendly.session-record"),
	v: v.literal(STATE_VERSION),
	peer: StoredPhone,
	sessions: v.pipe(v.array(SessionStateJson), v.maxLength(16)),
	received: v.pipe(v.array(v.string()), v.maxLength(10_000)),
	retired: v.pipe(v.array(v.string()), v.maxLength(10_000)),
});

async function sessionToJson(state: SessionState): Promise<v.InferOutput<typeof SessionStateJson>> {
	return {
		v: state.v,
		suite: state.suite,
		id: encodeBase64Url(state.id),
		role: state.role,
		ad: encodeBase64Url(state.ad),
		peerSigningKey: encodeBase64Url(state.peerSigningKey),
		peerDhKey: encodeBase64Url(state.peerDhKey),
		createdAt: state.createdAt,
		rootKey: encodeBase64Url(state.rootKey),
		ratchet: await keyPairToJson(state.ratchet),
		remoteRatchet: state.remoteRatchet ? encodeBase64Url(state.remoteRatchet) : null,
		send: { chainKey: encodeBase64Url(state.send.chainKey), n: state.send.n },
		recv: state.recv ? { chainKey: encodeBase64Url(state.recv.chainKey), n: state.recv.n } : null,
		pn: state.pn,
		pendingPrekey: state.pendingPrekey
			? {
					signedPrekeyId: state.pendingPrekey.signedPrekeyId,
					...(state.pendingPrekey.oneTimePrekeyId === undefined
						? {}
						: { oneTimePrekeyId: state.pendingPrekey.oneTimePrekeyId }),
					...(state.pendingPrekey.kem
						? {
								kem: {
									kind: state.pendingPrekey.kem.kind,
									keyId: state.pendingPrekey.kem.keyId,
									ciphertext: encodeBase64Url(state.pendingPrekey.kem.ciphertext),
								},
							}
						: {}),
				}
			: null,
		skipped: [...state.skipped].map(([id, key]): [string, string] => [id, encodeBase64Url(key)]),
		previousRemoteRatchets: state.previousRemoteRatchets,
	};
}

async function sessionFromJson(
	json: v.InferOutput<typeof SessionStateJson>,
	extractable: boolean,
): Promise<SessionState> {
	return {
		v: STATE_VERSION,
		suite: json.suite,
		id: bytes(json.id),
		role: json.role,
		ad: bytes(json.ad),
		peerSigningKey: bytes(json.peerSigningKey),
		peerDhKey: bytes(json.peerDhKey),
		createdAt: json.createdAt,
		rootKey: bytes(json.rootKey),
		ratchet: await keyPairFromJson("ECDH", json.ratchet, extractable),
		remoteRatchet: json.remoteRatchet === null ? null : bytes(json.remoteRatchet),
		send: { chainKey: bytes(json.send.chainKey), n: json.send.n },
		recv: json.recv ? { chainKey: bytes(json.recv.chainKey), n: json.recv.n } : null,
		pn: json.pn,
		pendingPrekey: json.pendingPrekey
			? {
					signedPrekeyId: json.pendingPrekey.signedPrekeyId,
					oneTimePrekeyId: json.pendingPrekey.oneTimePrekeyId,
					...(json.pendingPrekey.kem
						? {
								kem: {
									kind: json.pendingPrekey.kem.kind,
									keyId: json.pendingPrekey.kem.keyId,
									ciphertext: bytes(json.pendingPrekey.kem.ciphertext),
								},
							}
						: {}),
				}
			: null,
		skipped: new Map(json.skipped.map(([id, key]): [string, Bytes] => [id, bytes(key)])),
		previousRemoteRatchets: [...json.previousRemoteRatchets],
	};
}

export async function serializeSessionRecord(record: SessionRecord): Promise<string> {
	return JSON.stringify({
		kind: "friendly.session-record",
		v: record.v,
		peer: record.peer,
		sessions: await Promise.all(record.sessions.map(sessionToJson)),
		received: [...record.received],
		retired: [...record.retired],
	});
}

export async function deserializeSessionRecord(
	text: string,
	options: DeserializeOptions = {},
): Promise<SessionRecord> {
	const json = parseDocument("friendly.session-record", SessionRecordJson, text);
	for (const session of json.sessions) {
		if (!SUPPORTED_SUITES.includes(session.suite)) {
			throw new ProtocolError("unsupported_version", "a stored session uses an unsupported suite");
		}
	}
	const extractable = options.extractable ?? true;
	return {
		v: STATE_VERSION,
		peer: json.peer,
		sessions: await Promise.all(json.sessions.map((session) => sessionFromJson(session, extractable))),
		received: new Set(json.received),
		retired: new Set(json.retired),
	};
}
