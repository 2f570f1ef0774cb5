// Opens a profile's on-disk stores (the MessengerStores the messenger core and the protocol library
// use) and, for commands that write or connect, the profile lock. The passphrase is asked for only
// when the profile is protected (storage/sealer.ts).
import type { MessengerStores } from "../../protocol/messenger/index.ts";
import { DiskAccountStore } from "./account-store.ts";
import { ensureDirectory } from "./atomic-file.ts";
import { DiskContactStore } from "./contact-store.ts";
import { DiskHistoryStore } from "./history-store.ts";
import { DiskIdentityStore } from "./identity-store.ts";
import { DiskPrekeyStore } from "./prekey-store.ts";
import { ProfileFiles } from "./profile-files.ts";
import { lockProfile, type ProfileLock } from "./profile-lock.ts";
import { isPassphraseProtected, plainSealer, type Sealer, unlockSealer } from "./sealer.ts";
import { DiskSessionStore } from "./session-store.ts";

export interface OpenProfileOptions {
	name: string;
	directory: string;
	/** Take the profile lock (commands that connect or write). */
	lock: boolean;
	/** Asked only if the profile is passphrase-protected. */
	passphrase: () => Promise<string>;
	/** --server / FRIENDLY_SERVER for this run, overriding the relay stored with the account. */
	relayOverride?: string;
	/** A sealer already set up (registration with a new passphrase). */
	sealer?: Sealer;
}

export interface OpenProfile {
	readonly name: string;
	readonly directory: string;
	readonly stores: MessengerStores;
	readonly protected: boolean;
	close(): Promise<void>;
}

export function createDiskStores(files: ProfileFiles, relayOverride?: string): MessengerStores {
	return {
		identities: new DiskIdentityStore(files),
		prekeys: new DiskPrekeyStore(files),
		sessions: new DiskSessionStore(files),
		account: new DiskAccountStore(files, relayOverride),
		contacts: new DiskContactStore(files),
		history: new DiskHistoryStore(files),
	};
}

export async function openProfile(options: OpenProfileOptions): Promise<OpenProfile> {
	let lock: ProfileLock | undefined;
	if (options.lock) {
		// Only commands that write create the profile; a read of a missing profile finds nothing.
		await ensureDirectory(options.directory);
		lock = await lockProfile(options.directory, options.name);
	}
	try {
		let sealer = options.sealer ?? plainSealer;
		if (!options.sealer && (await isPassphraseProtected(options.directory))) {
			sealer = await unlockSealer(options.directory, await options.passphrase());
		}
		const files = new ProfileFiles(options.directory, sealer);
		return {
			name: options.name,
			directory: options.directory,
			stores: createDiskStores(files, options.relayOverride),
			protected: sealer.protected,
			close: async () => {
				await lock?.release();
			},
		};
	} catch (error) {
		await lock?.release();
		throw error;
	}
}

export { createPassphraseSealer } from "./sealer.ts";
