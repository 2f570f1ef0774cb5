// Reads for the contact-facing commands that need no connection (contacts, verify, history, whoami),
// shared by the one-shot commands and the interactive prompt: the contact list with trust state, and
// safety numbers — including the *new* one when a contact's key changed and is not accepted yet, so
// the user can compare it before accepting.

import { encodeBase64Url } from "../protocol/encoding/base64url.ts";
import type { ContactRecord, HistoryEntry, MessengerStores } from "../protocol/messenger/index.ts";
import { namesOf } from "./output/format.ts";

export interface ContactView {
	contact: ContactRecord;
	/** Whether the pinned identity was marked verified; undefined when no keys are pinned yet. */
	verified: boolean | undefined;
}

export async function listContactViews(stores: MessengerStores): Promise<ContactView[]> {
	const views: ContactView[] = [];
	for (const contact of await stores.contacts.listContacts()) {
		const pinned = await stores.identities.loadTrustedIdentity(contact.phone);
		views.push({ contact, verified: pinned?.verified });
	}
	return views;
}

/** The user's names for contacts (ContactRecord.name), by phone. */
export async function loadNames(stores: MessengerStores): Promise<Map<string, string>> {
	return namesOf(await stores.contacts.listContacts());
}

/** A short, non-secret fingerprint of our own identity key, for `whoami`. */
export async function ownFingerprint(stores: MessengerStores): Promise<string | undefined> {
	const local = await stores.identities.loadLocalIdentity();
	if (!local) return undefined;
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", local.signing.publicKey));
	return encodeBase64Url(digest).slice(0, 16);
}

/**
 * Incoming messages saved but not shown yet (a contact's `unread` count: the newest incoming entries),
 * e.g. ones that arrived while `friendly send` was connected. `receive` and the interactive client show
 * these first, then mark the contacts read.
 */
export async function unreadMessages(stores: MessengerStores): Promise<HistoryEntry[]> {
	const unread: HistoryEntry[] = [];
	for (const contact of await stores.contacts.listContacts()) {
		if (contact.unread <= 0) continue;
		const incoming = (await stores.history.listEntries(contact.phone)).filter(
			(entry) => entry.direction === "in",
		);
		unread.push(...incoming.slice(-contact.unread));
	}
	return unread.sort((a, b) => a.at - b.at);
}
