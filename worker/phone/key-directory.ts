// The phone's published prekeys (docs/PROTOCOL.md §Key directory). The signed prekey's signature is
// verified against the registered identity before it is stored; one-time prekeys are handed out at
// most once (a DELETE … RETURNING inside the object's single thread), and a bundle without one still
// works when they run out.
// Suite 2: the signed prekey may carry its last-resort ML-KEM-768 key (then its signature covers it),
// and one-time KEM prekeys are stored (each signed, each key passing the FIPS 203 modulus check,
// at most MAX_KEM_PREKEYS_PER_UPLOAD per upload and MAX_KEM_PREKEYS_HELD held) and handed out at most
// once like the EC ones.

import {
	checkKeySignature,
	kemPrekeySignedBytes,
	signedPrekeySignedBytes,
	signedPrekeyV2SignedBytes,
} from "../../protocol/crypto/key-signatures.ts";
import { decodeBase64Url } from "../../protocol/encoding/base64url.ts";
import {
	type E164,
	type IdentityKeys,
	type KemPrekey,
	MAX_KEM_PREKEYS_HELD,
	MAX_ONE_TIME_PREKEYS_HELD,
	type PrekeyBundle,
	type PrekeyStatus,
	type PrekeyUpload,
	type SignedPrekey,
} from "../../protocol/wire/index.ts";
import { failure, type Outcome, success } from "../relay-error.ts";
import { isP256Point } from "../security/public-key.ts";
import { type BucketRule, takeToken } from "./token-bucket.ts";

/** Per requester, per target: enough for session setup and retries, too little to drain prekeys. */
export const BUNDLE_FETCH_RULE: BucketRule = { burst: 10, refillSeconds: 60 };

export class KeyDirectory {
	constructor(private readonly sql: SqlStorage) {}

	async upload(identity: IdentityKeys, upload: PrekeyUpload): Promise<Outcome<PrekeyStatus>> {
		if (upload.signedPrekey) {
			const checked = await checkSignedPrekey(identity, upload.signedPrekey);
			if (!checked.ok) return checked;
		}
		for (const prekey of upload.oneTimePrekeys) {
			const bytes = decodeBase64Url(prekey.publicKey);
			if (!bytes || !(await isP256Point(bytes))) {
				return failure("invalid_key", `One-time prekey ${prekey.keyId} is not a valid P-256 public key.`);
			}
		}
		const kemPrekeys = upload.kemPrekeys ?? [];
		for (const prekey of kemPrekeys) {
			const checked = await checkKemPrekey(identity, prekey);
			if (!checked.ok) return checked;
		}
		// Re-read after the awaits above: the count may have changed meanwhile.
		const held = this.oneTimePrekeyCount();
		const fresh = upload.oneTimePrekeys.filter((prekey) => !this.hasOneTimePrekey(prekey.keyId)).length;
		if (held + fresh > MAX_ONE_TIME_PREKEYS_HELD) {
			return failure(
				"prekey_limit",
				`The relay holds at most ${MAX_ONE_TIME_PREKEYS_HELD} one-time prekeys; ${held} are held, so upload at most ${MAX_ONE_TIME_PREKEYS_HELD - held}.`,
			);
		}
		const kemHeld = this.kemPrekeyIds().length;
		const kemFresh = kemPrekeys.filter((prekey) => !this.hasKemPrekey(prekey.keyId)).length;
		if (kemHeld + kemFresh > MAX_KEM_PREKEYS_HELD) {
			return failure(
				"prekey_limit",
				`The relay holds at most ${MAX_KEM_PREKEYS_HELD} one-time KEM prekeys; ${kemHeld} are held, so upload at most ${MAX_KEM_PREKEYS_HELD - kemHeld}.`,
			);
		}
		if (upload.signedPrekey) {
			const { keyId, publicKey, signature, kemPublicKey } = upload.signedPrekey;
			this.sql.exec(
				"INSERT OR REPLACE INTO signed_prekey (id, key_id, public_key, signature, kem_public_key) VALUES (1, ?, ?, ?, ?)",
				keyId,
				publicKey,
				signature,
				kemPublicKey ?? null,
			);
		}
		for (const prekey of kemPrekeys) {
			this.sql.exec(
				"INSERT OR REPLACE INTO kem_prekeys (key_id, public_key, signature) VALUES (?, ?, ?)",
				prekey.keyId,
				prekey.publicKey,
				prekey.signature,
			);
		}
		for (const prekey of upload.oneTimePrekeys) {
			this.sql.exec(
				"INSERT OR REPLACE INTO one_time_prekeys (key_id, public_key) VALUES (?, ?)",
				prekey.keyId,
				prekey.publicKey,
			);
		}
		return success(this.status());
	}

	/** Counts, and the ids of the one-time prekeys still held (at most 200), so the owner can delete the rest. */
	status(): PrekeyStatus {
		const signed = this.signedPrekey();
		const ids = this.sql
			.exec<{ key_id: number }>("SELECT key_id FROM one_time_prekeys ORDER BY key_id")
			.toArray()
			.map((row) => row.key_id);
		return {
			oneTimePrekeys: ids.length,
			oneTimePrekeyIds: ids,
			signedPrekeyId: signed ? signed.keyId : null,
			signedPrekeyKem: signed?.kemPublicKey !== undefined,
			kemPrekeyIds: this.kemPrekeyIds(),
		};
	}

	/** Rate-limited per requester; consumes one one-time prekey if any is left. */
	takeBundle(phone: E164, identity: IdentityKeys, requester: E164, now: number): Outcome<PrekeyBundle> {
		const signedPrekey = this.signedPrekey();
		if (!signedPrekey) {
			return failure(
				"not_registered",
				"This phone is registered but has not published its keys yet; try again shortly.",
			);
		}
		const bucketRow = this.sql
			.exec<{ tokens: number; updated_at: number }>(
				"SELECT tokens, updated_at FROM bundle_fetches WHERE requester = ?",
				requester,
			)
			.toArray()[0];
		const decision = takeToken(
			BUNDLE_FETCH_RULE,
			bucketRow ? { tokens: bucketRow.tokens, updatedAt: bucketRow.updated_at } : undefined,
			now,
		);
		this.sql.exec(
			"INSERT OR REPLACE INTO bundle_fetches (requester, tokens, updated_at) VALUES (?, ?, ?)",
			requester,
			decision.state.tokens,
			decision.state.updatedAt,
		);
		if (!decision.allowed) {
			return failure("rate_limited", "Too many key fetches for this contact; wait and try again.", {
				retryAfter: decision.retryAfter,
			});
		}
		const oneTime = this.sql
			.exec<{ key_id: number; public_key: string }>(
				"DELETE FROM one_time_prekeys WHERE key_id = (SELECT key_id FROM one_time_prekeys ORDER BY key_id LIMIT 1) RETURNING key_id, public_key",
			)
			.toArray()[0];
		const kem = this.sql
			.exec<{ key_id: number; public_key: string; signature: string }>(
				"DELETE FROM kem_prekeys WHERE key_id = (SELECT key_id FROM kem_prekeys ORDER BY key_id LIMIT 1) RETURNING key_id, public_key, signature",
			)
			.toArray()[0];
		return success({
			phone,
			identity,
			signedPrekey,
			...(oneTime ? { oneTimePrekey: { keyId: oneTime.key_id, publicKey: oneTime.public_key } } : {}),
			...(kem
				? { kemPrekey: { keyId: kem.key_id, publicKey: kem.public_key, signature: kem.signature } }
				: {}),
		});
	}

	private signedPrekey(): SignedPrekey | null {
		const row = this.sql
			.exec<{ key_id: number; public_key: string; signature: string; kem_public_key: string | null }>(
				"SELECT key_id, public_key, signature, kem_public_key FROM signed_prekey WHERE id = 1",
			)
			.toArray()[0];
		if (!row) return null;
		return {
			keyId: row.key_id,
			publicKey: row.public_key,
			signature: row.signature,
			...(row.kem_public_key === null ? {} : { kemPublicKey: row.kem_public_key }),
		};
	}

	private kemPrekeyIds(): number[] {
		return this.sql
			.exec<{ key_id: number }>("SELECT key_id FROM kem_prekeys ORDER BY key_id")
			.toArray()
			.map((row) => row.key_id);
	}

	private hasKemPrekey(keyId: number): boolean {
		return this.sql.exec("SELECT 1 FROM kem_prekeys WHERE key_id = ?", keyId).toArray().length > 0;
	}

	private oneTimePrekeyCount(): number {
		return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM one_time_prekeys").one().n;
	}

	private hasOneTimePrekey(keyId: number): boolean {
		return this.sql.exec("SELECT 1 FROM one_time_prekeys WHERE key_id = ?", keyId).toArray().length > 0;
	}
}

async function checkSignedPrekey(identity: IdentityKeys, prekey: SignedPrekey): Promise<Outcome<null>> {
	const signingKey = decodeBase64Url(identity.signingKey);
	const publicKey = decodeBase64Url(prekey.publicKey);
	const signature = decodeBase64Url(prekey.signature);
	if (!signingKey || !publicKey || !signature)
		return failure("invalid_key", "Signed prekey is not valid base64url.");
	const kemPublicKey = prekey.kemPublicKey === undefined ? undefined : decodeBase64Url(prekey.kemPublicKey);
	if (kemPublicKey === null) return failure("invalid_key", "Signed prekey is not valid base64url.");
	const check = await checkKeySignature(
		signingKey,
		publicKey,
		kemPublicKey
			? signedPrekeyV2SignedBytes(prekey.keyId, publicKey, kemPublicKey)
			: signedPrekeySignedBytes(prekey.keyId, publicKey),
		signature,
		kemPublicKey ? [kemPublicKey] : [],
	);
	if (check === "invalid_key") {
		return failure(
			"invalid_key",
			kemPublicKey
				? "The signed prekey is not a valid P-256 public key, or its KEM key not a valid ML-KEM-768 key."
				: "The signed prekey is not a valid P-256 public key.",
		);
	}
	if (check === "invalid_signature") {
		return failure(
			"invalid_signature",
			"The signed prekey's signature does not verify with your identity key.",
		);
	}
	return success(null);
}

async function checkKemPrekey(identity: IdentityKeys, prekey: KemPrekey): Promise<Outcome<null>> {
	const signingKey = decodeBase64Url(identity.signingKey);
	const publicKey = decodeBase64Url(prekey.publicKey);
	const signature = decodeBase64Url(prekey.signature);
	if (!signingKey || !publicKey || !signature)
		return failure("invalid_key", `KEM prekey ${prekey.keyId} is not valid base64url.`);
	const check = await checkKeySignature(
		signingKey,
		undefined,
		kemPrekeySignedBytes(prekey.keyId, publicKey),
		signature,
		[publicKey],
	);
	if (check === "invalid_key")
		return failure("invalid_key", `KEM prekey ${prekey.keyId} is not a valid ML-KEM-768 public key.`);
	if (check === "invalid_signature") {
		return failure(
			"invalid_signature",
			`KEM prekey ${prekey.keyId}'s signature does not verify with your identity key.`,
		);
	}
	return success(null);
}
