// AccountStore on disk: account.json holds this profile's phone, relay URL and session token (a
// secret: never printed). `relayOverride` lets --server / FRIENDLY_SERVER point a registered profile at
// the relay's current address for one run without rewriting the file. pending-verification.json holds
// a verification code request not used yet (phone, relay, expiry; never the code), so Ctrl-C during
// registration does not lose it.
import * as v from "valibot";
import type { AccountRecord, AccountStore, PendingVerification } from "../../protocol/messenger/stores.ts";
import { AccountJson, PendingVerificationJson } from "./messenger-records.ts";
import { damagedFile, type ProfileFiles } from "./profile-files.ts";

export const ACCOUNT_FILE = "account.json";
export const PENDING_VERIFICATION_FILE = "pending-verification.json";

export class DiskAccountStore implements AccountStore {
	constructor(
		private readonly files: ProfileFiles,
		private readonly relayOverride?: string,
	) {}

	async loadAccount(): Promise<AccountRecord | undefined> {
		const data = await this.files.readJson(ACCOUNT_FILE);
		if (data === undefined) return undefined;
		const parsed = v.safeParse(AccountJson, data);
		if (!parsed.success) throw damagedFile(ACCOUNT_FILE, parsed.issues[0].message);
		return this.relayOverride ? { ...parsed.output, relayUrl: this.relayOverride } : parsed.output;
	}

	async storeAccount(account: AccountRecord): Promise<void> {
		await this.files.write(ACCOUNT_FILE, JSON.stringify(account));
	}

	async clearAccount(): Promise<void> {
		await this.files.remove(ACCOUNT_FILE);
	}

	async loadPendingVerification(): Promise<PendingVerification | null> {
		const data = await this.files.readJson(PENDING_VERIFICATION_FILE);
		if (data === undefined) return null;
		const parsed = v.safeParse(PendingVerificationJson, data);
		// Only a convenience: a damaged file is forgotten rather than blocking registration.
		return parsed.success ? parsed.output : null;
	}

	async storePendingVerification(pending: PendingVerification | null): Promise<void> {
		if (pending) await this.files.write(PENDING_VERIFICATION_FILE, JSON.stringify(pending));
		else await this.files.remove(PENDING_VERIFICATION_FILE);
	}
}
