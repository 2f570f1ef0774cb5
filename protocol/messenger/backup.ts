// Encrypted backup and restore of a messenger's data (docs/PROTOCOL.md §Backup file, docs/SECURITY.md
// §Backups). `createBackup` reads the stores and returns the sealed file with its recovery key (shown
// to the user once); `restoreBackup` opens a file and merges it into the stores.
//
// Restore decrypts and checks everything before it writes anything, so a wrong key, a damaged or cut
// file, or one from a newer version changes nothing. It is idempotent: entries already here (same
// peer, direction and id) are kept as they are, so restoring twice adds no duplicates, and a restore
// cut short by a crash is completed by running it again. Contacts keep their names; a key pinned for a
// contact is restored unverified (a key pinned here already is kept), with a system entry asking to
// compare the safety number again where it had been verified. Restored messages that were still being
// sent are marked failed (with resend offered), never sent again on their own: the user decides.

import type * as v from "valibot";
import { decodeBase64Url, encodeBase64Url } from "../encoding/base64url.ts";
import { type Bytes, utf8 } from "../encoding/bytes.ts";
import { parseJson } from "../wire/index.ts";
import { openBackup, sealBackup } from "./backup-format.ts";
import { groupRecoveryKey, newRecoveryKey, normaliseRecoveryKey } from "./backup-key.ts";
import {
	BACKUP_PAYLOAD_VERSION,
	type BackupContact,
	type BackupEntry,
	BackupPayload,
} from "./backup-payload.ts";
import { MessengerError } from "./errors.ts";
import { type HistoryEntry, MESSENGER_STATE_VERSION, type MessengerStores } from "./stores.ts";

/** A decrypted payload is at most this long (a 10,000-message backup is a few MB). */
const MAX_PAYLOAD_CHARS = 1 << 30;

export interface CreatedBackup {
	readonly file: Bytes;
	/** Shown once, grouped for reading aloud ("ABCDE-FGHJK-…"); never stored. */
	readonly recoveryKey: string;
	readonly contacts: number;
	readonly messages: number;
}

export interface RestoredBackup {
	/** The number the backup was made for. */
	readonly phone: string | null;
	readonly createdAt: number;
	readonly contacts: number;
	/** Entries added; those already here are not counted (restoring twice adds 0). */
	readonly messagesAdded: number;
	readonly messagesKept: number;
	/** Contacts that had been verified: compare the safety number again. */
	readonly verifyAgain: readonly string[];
}

type Stores = Pick<MessengerStores, "account" | "contacts" | "history" | "identities">;

export async function createBackup(stores: Stores, now: number): Promise<CreatedBackup> {
	const account = await stores.account.loadAccount();
	const contacts = await stores.contacts.listContacts();
	const backupContacts: v.InferOutput<typeof BackupContact>[] = [];
	const trusted: BackupPayload["trusted"] = [];
	const history: HistoryEntry[] = [];
	for (const contact of contacts) {
		backupContacts.push({
			phone: contact.phone,
			...(contact.name !== undefined ? { name: contact.name } : {}),
			lastAt: contact.lastAt,
			lastText: contact.lastText,
		});
		const pinned = await stores.identities.loadTrustedIdentity(contact.phone);
		if (pinned) {
			trusted.push({
				phone: pinned.phone,
				signingKey: encodeBase64Url(pinned.signingKey),
				dhKey: encodeBase64Url(pinned.dhKey),
				dhKeySignature: encodeBase64Url(pinned.dhKeySignature),
				firstSeenAt: pinned.firstSeenAt,
				verified: pinned.verified,
			});
		}
		history.push(...(await stores.history.listEntries(contact.phone)));
	}
	const payload: BackupPayload = {
		kind: "friendly.backup",
		v: BACKUP_PAYLOAD_VERSION,
		createdAt: now,
		phone: account?.phone ?? null,
		relayUrl: account?.relayUrl ?? null,
		contacts: backupContacts,
		trusted,
		history: history.map(backupEntry),
		settings: {},
		attachments: [],
	};
	const recoveryKey = newRecoveryKey();
	const file = await sealBackup(utf8(JSON.stringify(payload)), recoveryKey);
	return {
		file,
		recoveryKey: groupRecoveryKey(recoveryKey),
		contacts: contacts.length,
		messages: history.length,
	};
}

/** Only the fields of the schema (a store may keep more). */
function backupEntry(entry: HistoryEntry): v.InferOutput<typeof BackupEntry> {
	return {
		v: 1,
		peer: entry.peer,
		id: entry.id,
		direction: entry.direction,
		text: entry.text,
		at: entry.at,
		status: entry.status,
		...(entry.attachment ? { attachment: entry.attachment } : {}),
		...(entry.error ? { error: entry.error } : {}),
		...(entry.redelivery ? { redelivery: entry.redelivery } : {}),
		...(entry.system ? { system: entry.system } : {}),
	};
}

/** Decrypts and parses a backup without writing anything (MessengerError backup_* or invalid key). */
export async function readBackup(file: Bytes, typedKey: string): Promise<BackupPayload> {
	const key = normaliseRecoveryKey(typedKey);
	if (key === null) {
		throw new MessengerError(
			"backup_wrong_key",
			"A recovery key is 30 letters and digits (dashes and spaces do not matter); nothing was restored. Check what you wrote down.",
		);
	}
	const bytes = await openBackup(file, key);
	const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
	const parsed = parseJson(BackupPayload, text, MAX_PAYLOAD_CHARS);
	if (!parsed.ok) {
		throw new MessengerError(
			"backup_damaged",
			`This backup's contents are not in the expected format (${parsed.message}); nothing was restored.`,
		);
	}
	return parsed.value;
}

export async function restoreBackup(stores: Stores, file: Bytes, typedKey: string): Promise<RestoredBackup> {
	const payload = await readBackup(file, typedKey);
	// Checked in full: from here on only writes.
	const verifyAgain: string[] = [];
	for (const key of payload.trusted) {
		const existing = await stores.identities.loadTrustedIdentity(key.phone);
		if (!existing) {
			const signingKey = decodeBase64Url(key.signingKey);
			const dhKey = decodeBase64Url(key.dhKey);
			const dhKeySignature = decodeBase64Url(key.dhKeySignature);
			if (signingKey && dhKey && dhKeySignature) {
				await stores.identities.storeTrustedIdentity({
					v: 1,
					phone: key.phone,
					signingKey,
					dhKey,
					dhKeySignature,
					firstSeenAt: key.firstSeenAt,
					verified: false,
				});
			}
		}
		if (key.verified && existing?.verified !== true) verifyAgain.push(key.phone);
	}
	for (const contact of payload.contacts) {
		const existing = await stores.contacts.loadContact(contact.phone);
		if (existing) {
			if (existing.name === undefined && contact.name !== undefined)
				await stores.contacts.storeContact({ ...existing, name: contact.name });
			continue;
		}
		await stores.contacts.storeContact({
			v: MESSENGER_STATE_VERSION,
			phone: contact.phone,
			...(contact.name !== undefined ? { name: contact.name } : {}),
			unread: 0,
			lastAt: contact.lastAt,
			lastText: contact.lastText,
		});
	}
	const byPeer = new Map<string, HistoryEntry[]>();
	for (const entry of payload.history) {
		const list = byPeer.get(entry.peer) ?? [];
		list.push(restoredEntry(entry));
		byPeer.set(entry.peer, list);
	}
	for (const phone of verifyAgain) {
		const list = byPeer.get(phone) ?? [];
		list.push({
			v: MESSENGER_STATE_VERSION,
			peer: phone,
			// One per backup and contact: restoring the same backup twice writes it once.
			id: `sys-restore-${payload.createdAt}`,
			direction: "system",
			text: "You had verified this safety number before restoring a backup; compare it again to verify.",
			at: payload.createdAt,
			status: "received",
			system: { event: "unverified" },
		});
		byPeer.set(phone, list);
	}
	let added = 0;
	let kept = 0;
	for (const [peer, entries] of byPeer) {
		const here = new Set((await stores.history.listEntries(peer)).map((e) => `${e.direction} ${e.id}`));
		const fresh = entries.filter((e) => !here.has(`${e.direction} ${e.id}`));
		kept += entries.length - fresh.length;
		added += fresh.length;
		if (fresh.length === 0) continue;
		if (stores.history.storeEntries) await stores.history.storeEntries(fresh);
		else for (const entry of fresh) await stores.history.storeEntry(entry);
	}
	return {
		phone: payload.phone,
		createdAt: payload.createdAt,
		contacts: payload.contacts.length,
		messagesAdded: added,
		messagesKept: kept,
		verifyAgain,
	};
}

/** A message still being sent (or waiting to be sent again) when the backup was made is not sent again on its own. */
function restoredEntry(entry: v.InferOutput<typeof BackupEntry>): HistoryEntry {
	const { redelivery, ...rest } = entry;
	const base: HistoryEntry = { ...rest, ...(redelivery === "sent" ? { redelivery } : {}) };
	if (entry.status !== "sending" && redelivery !== "waiting") return base;
	return {
		...base,
		status: "failed",
		error: {
			code: "unknown_error",
			message: "Not sent before the backup was made; resend it if it is still needed.",
		},
	};
}
