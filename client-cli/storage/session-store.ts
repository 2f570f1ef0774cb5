// SessionStore on disk: one file per peer, sessions/<phone>.json, holding its Double Ratchet sessions
// (message keys inside: 0600, sealed with a passphrase if the profile has one).
import {
	deserializeSessionRecord,
	type SessionRecord,
	type SessionStore,
	serializeSessionRecord,
} from "../../protocol/session/index.ts";
import { type ProfileFiles, phoneFileName } from "./profile-files.ts";

export class DiskSessionStore implements SessionStore {
	constructor(private readonly files: ProfileFiles) {}

	async loadSessionRecord(peer: string): Promise<SessionRecord | undefined> {
		const text = await this.files.read(`sessions/${phoneFileName(peer)}`);
		return text === undefined ? undefined : deserializeSessionRecord(text);
	}

	async storeSessionRecord(record: SessionRecord): Promise<void> {
		await this.files.write(`sessions/${phoneFileName(record.peer)}`, await serializeSessionRecord(record));
	}

	async deleteSessionRecord(peer: string): Promise<void> {
		await this.files.remove(`sessions/${phoneFileName(peer)}`);
	}
}
