// Key-directory shapes (docs/PROTOCOL.md §Key directory). Signature inputs are defined in
// protocol/crypto/key-signatures.ts; the relay verifies them before storing anything.
import * as v from "valibot";
import { KeyId, P256PublicKey, P256Signature, Phone } from "./primitives.ts";

export const MAX_ONE_TIME_PREKEYS_PER_UPLOAD = 100;
export const MAX_ONE_TIME_PREKEYS_HELD = 200;

/** A phone's long-term identity: ECDSA P-256 signing key, and ECDH P-256 key signed by it. */
export const IdentityKeys = v.strictObject({
	signingKey: P256PublicKey,
	dhKey: P256PublicKey,
	dhKeySignature: P256Signature,
});
export type IdentityKeys = v.InferOutput<typeof IdentityKeys>;

export const SignedPrekey = v.strictObject({
	keyId: KeyId,
	publicKey: P256PublicKey,
	signature: P256Signature,
});
export type SignedPrekey = v.InferOutput<typeof SignedPrekey>;

export const OneTimePrekey = v.strictObject({ keyId: KeyId, publicKey: P256PublicKey });
export type OneTimePrekey = v.InferOutput<typeof OneTimePrekey>;

export const PrekeyBundle = v.object({
	phone: Phone,
	identity: IdentityKeys,
	signedPrekey: SignedPrekey,
	oneTimePrekey: v.optional(OneTimePrekey),
});
export type PrekeyBundle = v.InferOutput<typeof PrekeyBundle>;
