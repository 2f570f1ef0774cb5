// IdentityStore on disk: our own identity (private keys) in identity.json, each contact's pinned
// identity in trusted/<phone>.json, serialised with protocol/session's versioned serialisers.
import {
	deserializeLocalIdentity,
	deserializeTrustedIdentity,
	type IdentityStore,
	type LocalIdentity,
	serializeLocalIdentity,
	serializeTrustedIdentity,
	type TrustedIdentity,
} from "../../protocol/session/index.ts";
import { type ProfileFiles, phoneFileName } from "./profile-files.ts";

export const LOCAL_IDENTITY_FILE = "identity.json";

export class DiskIdentityStore implements IdentityStore {
	constructor(private readonly files: ProfileFiles) {}

	async loadLocalIdentity(): Promise<LocalIdentity | undefined> {
		const text = await this.files.read(LOCAL_IDENTITY_FILE);
		return text === undefined ? undefined : deserializeLocalIdentity(text);
	}

	async storeLocalIdentity(identity: LocalIdentity): Promise<void> {
		await this.files.write(LOCAL_IDENTITY_FILE, await serializeLocalIdentity(identity));
	}

	async loadTrustedIdentity(phone: string): Promise<TrustedIdentity | undefined> {
		const text = await this.files.read(`trusted/${phoneFileName(phone)}`);
		return text === undefined ? undefined : deserializeTrustedIdentity(text);
	}

	async storeTrustedIdentity(record: TrustedIdentity): Promise<void> {
		await this.files.write(`trusted/${phoneFileName(record.phone)}`, serializeTrustedIdentity(record));
	}
}
