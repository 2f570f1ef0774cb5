// AccountStore on disk: account.json holds this profile's phone, relay URL and session token (a
// secret: never printed). `relayOverride` lets --server / FRIENDLY_SERVER point a registered profile at
// the relay's current address for one run without rewriting the file.
import * as v from "valibot";
import type { AccountRecord, AccountStore } from "../../protocol/messenger/stores.ts";
import { AccountJson } from "./messenger-records.ts";
import { damagedFile, type ProfileFiles } from "./profile-files.ts";

export const ACCOUNT_FILE = "account.json";

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
}
