// A phone's registration: its identity public keys and its session tokens (stored as keyed hashes).
// One device per phone: registering again revokes earlier tokens, and a new identity key drops the
// prekeys signed by the old one, so contacts see the key change on their next bundle fetch.

import { checkKeySignature, identityDhKeySignedBytes } from "../../protocol/crypto/key-signatures.ts";
import { decodeBase64Url } from "../../protocol/encoding/base64url.ts";
import type { E164, IdentityKeys } from "../../protocol/wire/index.ts";
import { failure, type Outcome, success } from "../relay-error.ts";
import { keyedHash } from "../security/keyed-hash.ts";
import { newSessionToken } from "../security/session-token.ts";
import { storePhoneName } from "./phone-name.ts";

export class Registration {
	constructor(
		private readonly sql: SqlStorage,
		private readonly hashKey: string,
		private readonly phone: E164,
	) {}

	identity(): IdentityKeys | null {
		const row = this.sql
			.exec<{ signing_key: string; dh_key: string; dh_key_signature: string }>(
				"SELECT signing_key, dh_key, dh_key_signature FROM registration WHERE id = 1",
			)
			.toArray()[0];
		return row
			? { signingKey: row.signing_key, dhKey: row.dh_key, dhKeySignature: row.dh_key_signature }
			: null;
	}

	isRegistered(): boolean {
		return this.identity() !== null;
	}

	/** Verifies that the identity's signing key signed its DH key; no state changes. */
	static async checkIdentity(identity: IdentityKeys): Promise<Outcome<null>> {
		const signingKey = decodeBase64Url(identity.signingKey);
		const dhKey = decodeBase64Url(identity.dhKey);
		const signature = decodeBase64Url(identity.dhKeySignature);
		if (!signingKey || !dhKey || !signature)
			return failure("invalid_key", "Identity keys are not valid base64url.");
		const check = await checkKeySignature(signingKey, dhKey, identityDhKeySignedBytes(dhKey), signature);
		if (check === "invalid_key")
			return failure("invalid_key", "An identity key is not a valid P-256 public key.");
		if (check === "invalid_signature") {
			return failure("invalid_signature", "The identity DH key is not signed by the identity signing key.");
		}
		return success(null);
	}

	/** Replaces the registration and all tokens; returns the new token. Call only after the code checked out. */
	async register(identity: IdentityKeys, now: number): Promise<{ token: string; identityChanged: boolean }> {
		const token = newSessionToken(this.phone);
		const tokenHash = await keyedHash(this.hashKey, "session-token", token);
		const previous = this.identity();
		const identityChanged =
			previous !== null && (previous.signingKey !== identity.signingKey || previous.dhKey !== identity.dhKey);
		this.sql.exec(
			"INSERT OR REPLACE INTO registration (id, signing_key, dh_key, dh_key_signature, registered_at) VALUES (1, ?, ?, ?, ?)",
			identity.signingKey,
			identity.dhKey,
			identity.dhKeySignature,
			now,
		);
		storePhoneName(this.sql, this.phone);
		this.sql.exec("DELETE FROM tokens");
		this.sql.exec("INSERT INTO tokens (token_hash, created_at) VALUES (?, ?)", tokenHash, now);
		if (identityChanged) {
			this.sql.exec("DELETE FROM signed_prekey");
			this.sql.exec("DELETE FROM one_time_prekeys");
			this.sql.exec("DELETE FROM kem_prekeys");
		}
		return { token, identityChanged };
	}

	async authenticate(token: string): Promise<boolean> {
		const tokenHash = await keyedHash(this.hashKey, "session-token", token);
		return this.sql.exec("SELECT 1 FROM tokens WHERE token_hash = ?", tokenHash).toArray().length === 1;
	}

	async revoke(token: string): Promise<boolean> {
		const tokenHash = await keyedHash(this.hashKey, "session-token", token);
		return this.sql.exec("DELETE FROM tokens WHERE token_hash = ?", tokenHash).rowsWritten > 0;
	}
}
