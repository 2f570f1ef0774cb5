// ContactStore on disk: contacts/<phone>.json per contact (unread count, last message preview, and a
// pending identity change that blocks sending until the user accepts it).
import * as v from "valibot";
import type { ContactRecord, ContactStore } from "../../protocol/messenger/stores.ts";
import { ContactJson } from "./messenger-records.ts";
import { damagedFile, type ProfileFiles, phoneFileName, phonesFromFileNames } from "./profile-files.ts";

const DIRECTORY = "contacts";

export class DiskContactStore implements ContactStore {
	constructor(private readonly files: ProfileFiles) {}

	async loadContact(phone: string): Promise<ContactRecord | undefined> {
		const path = `${DIRECTORY}/${phoneFileName(phone)}`;
		const data = await this.files.readJson(path);
		if (data === undefined) return undefined;
		const parsed = v.safeParse(ContactJson, data);
		if (!parsed.success) throw damagedFile(path, parsed.issues[0].message);
		return parsed.output;
	}

	async storeContact(contact: ContactRecord): Promise<void> {
		await this.files.write(`${DIRECTORY}/${phoneFileName(contact.phone)}`, JSON.stringify(contact));
	}

	async listContacts(): Promise<ContactRecord[]> {
		const contacts: ContactRecord[] = [];
		for (const phone of phonesFromFileNames(await this.files.list(DIRECTORY))) {
			const contact = await this.loadContact(phone);
			if (contact) contacts.push(contact);
		}
		return contacts.sort((a, b) => b.lastAt - a.lastAt);
	}
}
