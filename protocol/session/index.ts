// FriendLy end-to-end protocol: the API the CLI and the web client use (docs/E2E-PROTOCOL.md §Using the
// library). WebCrypto only; runs unchanged in Node 22, browsers (secure contexts) and workerd.
//
// Setup, once per phone:
//   const identity = await createLocalIdentity({ extractable: false /* browser */ | true /* CLI */ });
//   await stores.identities.storeLocalIdentity(identity);
//   register with publicIdentity(identity) (POST /v1/verification/confirm)
//   const context = createProtocolContext({ phone, stores, clock });
//   const upload = await prepareKeyUpload(context, status /* GET /v1/keys */); if (upload) PUT /v1/keys
// Sending:
//   const body = await encryptMessage(context, { to, id, plaintext, fetchBundle: () => GET /v1/keys/:to });
//   send { type: "send", id, to, body }
// Receiving a MessageFrame:
//   try { const { plaintext } = await decryptMessage(context, { from, id, body }); show it; ack }
//   catch (e) { if (isProtocolError(e, "untrusted_identity")) surface e.identityChange; ... }
// Every failure is a ProtocolError with a `code` from PROTOCOL_ERROR_CODES, and leaves state unchanged.

export type { P256KeyPair } from "../crypto/p256.ts";
export { SUITE_NAME, SUITE_V1, SUITE_V2, SUITE_V2_NAME, SUPPORTED_SUITES } from "../crypto/suite.ts";
export { type Clock, manualClock, systemClock } from "./clock.ts";
export { createProtocolContext, ProtocolContext, type ProtocolContextOptions } from "./context.ts";
export {
	type IdentityChangeEvent,
	isProtocolError,
	PROTOCOL_ERROR_CODES,
	ProtocolError,
	type ProtocolErrorCode,
} from "./errors.ts";
export {
	type CreateIdentityOptions,
	createLocalIdentity,
	getTrustedIdentity,
	markIdentityVerified,
	pinIdentityIfNew,
	publicIdentity,
	trustIdentity,
} from "./identity.ts";
export { KeyedLock } from "./lock.ts";
export {
	createMemoryStores,
	MemoryIdentityStore,
	MemoryPrekeyStore,
	MemorySessionStore,
	type MemoryStores,
} from "./memory-store.ts";
export {
	type DecryptedMessage,
	decryptMessage,
	encryptMessage,
	hasSession,
	type IncomingMessage,
	MAX_PLAINTEXT_BYTES,
	type OutgoingMessage,
	resetSession,
} from "./messages.ts";
export {
	bodyKind,
	bodySessionId,
	createDeliveryNotice,
	type DeliveryNoticeRequest,
	deliveryNoticeFields,
	type IncomingNotice,
	type OpenedDeliveryNotice,
	openDeliveryNotice,
} from "./notices.ts";
export {
	currentSignedPrekeyWire,
	generateKemPrekeys,
	generateOneTimePrekeys,
	generateSignedPrekey,
	KEM_PREKEY_REFILL_THRESHOLD,
	kemPrekeyWire,
	MAX_LOCAL_KEM_PREKEYS,
	MAX_LOCAL_ONE_TIME_PREKEYS,
	ONE_TIME_PREKEY_GONE_RETENTION_MS,
	ONE_TIME_PREKEY_REFILL_THRESHOLD,
	type OneTimePrekeyPruning,
	prepareKeyUpload,
	pruneKemPrekeys,
	pruneOneTimePrekeys,
	type RelayPrekeyStatus,
	refillKemPrekeys,
	refillOneTimePrekeys,
	rotateSignedPrekey,
	SIGNED_PREKEY_RETENTION_MS,
	SIGNED_PREKEY_ROTATION_MS,
} from "./prekeys.ts";
export { MAX_SKIP, MAX_SKIPPED_KEYS } from "./ratchet.ts";
export { MAX_RECEIVED_IDS, MAX_RETIRED_SESSIONS, MAX_SESSIONS_PER_PEER } from "./records.ts";
export {
	type SafetyNumber,
	type SafetyNumberParty,
	safetyNumber,
	safetyNumberMatchesQr,
	safetyNumberWith,
} from "./safety.ts";
export {
	type DeserializeOptions,
	deserializeKemPrekey,
	deserializeLocalIdentity,
	deserializeOneTimePrekey,
	deserializeSessionRecord,
	deserializeSignedPrekey,
	deserializeTrustedIdentity,
	kemPrekeyState,
	oneTimePrekeyState,
	serializeKemPrekey,
	serializeLocalIdentity,
	serializeOneTimePrekey,
	serializeSessionRecord,
	serializeSignedPrekey,
	serializeTrustedIdentity,
} from "./serialize.ts";
export {
	type ChainState,
	type IdentityStore,
	type KemPrekeyRecord,
	type KeyIdCounters,
	type LocalIdentity,
	MAX_PREVIOUS_IDENTITIES,
	type OneTimePrekeyGoneChange,
	type OneTimePrekeyRecord,
	type OneTimePrekeyState,
	type PrekeyStore,
	type PreviousIdentity,
	type ProtocolStores,
	type SessionRecord,
	type SessionState,
	type SessionStore,
	type SignedPrekeyRecord,
	STATE_VERSION,
	type TrustedIdentity,
} from "./stores.ts";
