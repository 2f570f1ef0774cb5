// Key-directory shapes (docs/PROTOCOL.md §Key directory). Signature inputs are defined in
// protocol/crypto/key-signatures.ts; the relay verifies them before storing anything.
import * as v from "valibot";
import { base64UrlBytes, KeyId, P256PublicKey, P256Signature, Phone } from "./primitives.ts";

export const MAX_ONE_TIME_PREKEYS_PER_UPLOAD = 100;
export const MAX_ONE_TIME_PREKEYS_HELD = 200;
/**
 * One-time ML-KEM-768 prekeys (suite 2) are 1,184-byte keys, about 1.7 KB each in JSON: 25 per upload
 * keep a full PUT /v1/keys (with 100 EC one-time prekeys and a signed prekey) under the relay's 64 KiB
 * request limit, and 100 held keep a phone's key directory near 170 KB.
 */
export const MAX_KEM_PREKEYS_PER_UPLOAD = 25;
export const MAX_KEM_PREKEYS_HELD = 100;
export const ML_KEM_768_PUBLIC_KEY_BYTES = 1184;

/** An ML-KEM-768 encapsulation key (FIPS 203), base64url; its modulus check is done by protocol/crypto. */
export const MlKem768PublicKey = base64UrlBytes(ML_KEM_768_PUBLIC_KEY_BYTES, "ML-KEM-768 public key");

/** A phone's long-term identity: ECDSA P-256 signing key, and ECDH P-256 key signed by it. */
export const IdentityKeys = v.strictObject({
	signingKey: P256PublicKey,
	dhKey: P256PublicKey,
	dhKeySignature: P256Signature,
});
export type IdentityKeys = v.InferOutput<typeof IdentityKeys>;

/**
 * With `kemPublicKey` (suite 2) the signature covers it too: it is the last-resort KEM prekey, with the
 * same key id (protocol/crypto/key-signatures.ts signedPrekeyV2SignedBytes). Without it, a suite-1
 * signed prekey, which suite-2 clients refuse to start sessions with.
 */
export const SignedPrekey = v.strictObject({
	keyId: KeyId,
	publicKey: P256PublicKey,
	signature: P256Signature,
	kemPublicKey: v.optional(MlKem768PublicKey),
});
export type SignedPrekey = v.InferOutput<typeof SignedPrekey>;

export const OneTimePrekey = v.strictObject({ keyId: KeyId, publicKey: P256PublicKey });
export type OneTimePrekey = v.InferOutput<typeof OneTimePrekey>;

/** A one-time ML-KEM-768 prekey (suite 2), signed by the identity signing key. */
export const KemPrekey = v.strictObject({
	keyId: KeyId,
	publicKey: MlKem768PublicKey,
	signature: P256Signature,
});
export type KemPrekey = v.InferOutput<typeof KemPrekey>;

export const PrekeyBundle = v.object({
	phone: Phone,
	identity: IdentityKeys,
	signedPrekey: SignedPrekey,
	oneTimePrekey: v.optional(OneTimePrekey),
	/** A one-time KEM prekey when the relay still holds one; else the signed prekey's KEM key is used. */
	kemPrekey: v.optional(KemPrekey),
});
export type PrekeyBundle = v.InferOutput<typeof PrekeyBundle>;
