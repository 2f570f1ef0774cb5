// Encrypted backups (protocol/messenger/backup*.ts, docs/PROTOCOL.md §Backup file) on memory stores:
// the round trip (contacts with names, pinned keys restored unverified with a "verify again" entry,
// history, nothing sent again on its own), restoring twice without duplicates, and every refusal
// (wrong key, malformed key, truncated, tampered anywhere, extra bytes, a newer version) changing
// nothing. End to end with the real CLI and relay: test/cli/backup.test.ts.
import { describe, expect, it } from "vitest";
import { randomBytes } from "../../protocol/crypto/webcrypto.ts";
import { type Bytes, utf8 } from "../../protocol/encoding/bytes.ts";
import { createBackup, restoreBackup } from "../../protocol/messenger/backup.ts";
import { BACKUP_MAGIC } from "../../protocol/messenger/backup-format.ts";
import {
	groupRecoveryKey,
	newRecoveryKey,
	normaliseRecoveryKey,
} from "../../protocol/messenger/backup-key.ts";
import {
	createMemoryMessengerStores,
	type HistoryEntry,
	MessengerError,
	type MessengerStores,
} from "../../protocol/messenger/index.ts";

const ME = "+15555550100";
const ANA = "+15555550101";
const BEN = "+15555550102";
const AT = 1_767_225_600_000;

function entry(
	peer: string,
	id: string,
	direction: "in" | "out",
	at: number,
	status: HistoryEntry["status"],
): HistoryEntry {
	return { v: 1, peer, id, direction, text: `${direction} ${id}`, at, status };
}

/** An attachment reference: it is restored with its entry, so the file can still be fetched. */
const PHOTO = {
	id: "A".repeat(22),
	key: `${"k".repeat(42)}A`,
	digest: `${"d".repeat(42)}A`,
	size: 1234,
	blobSize: 1360,
	contentType: "image/png",
	name: "photo.png",
};

async function filledStores(): Promise<MessengerStores> {
	const stores = createMemoryMessengerStores();
	await stores.account.storeAccount({
		v: 1,
		phone: ME,
		token: "t".repeat(40),
		relayUrl: "http://relay.test",
		registeredAt: AT,
	});
	await stores.contacts.storeContact({
		v: 1,
		phone: ANA,
		name: "Ana",
		unread: 2,
		lastAt: AT + 3,
		lastText: "in 3",
	});
	await stores.contacts.storeContact({ v: 1, phone: BEN, unread: 0, lastAt: AT + 5, lastText: "out 5" });
	await stores.identities.storeTrustedIdentity({
		v: 1,
		phone: ANA,
		signingKey: randomBytes(65),
		dhKey: randomBytes(65),
		dhKeySignature: randomBytes(64),
		firstSeenAt: AT,
		verified: true,
	});
	for (const e of [
		entry(ANA, "m1", "out", AT + 1, "delivered"),
		entry(ANA, "m2", "in", AT + 2, "received"),
		entry(ANA, "m3", "in", AT + 3, "received"),
		{ ...entry(ANA, "f1", "in", AT + 3, "received"), attachment: PHOTO },
		entry(BEN, "m4", "out", AT + 4, "delivered"),
		entry(BEN, "m5", "out", AT + 5, "sending"),
	])
		await stores.history.storeEntry(e);
	return stores;
}

/** Everything a restore could write, for "nothing changed" checks. */
async function snapshot(stores: MessengerStores) {
	const contacts = await stores.contacts.listContacts();
	return JSON.stringify({
		contacts,
		history: await Promise.all([ANA, BEN].map((p) => stores.history.listEntries(p))),
		trusted: await Promise.all([ANA, BEN].map((p) => stores.identities.loadTrustedIdentity(p))),
	});
}

async function refusal(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
		return "restored";
	} catch (error) {
		return error instanceof MessengerError ? error.code : String(error);
	}
}

describe("recovery keys", () => {
	it("are 30 characters of the confusion-free alphabet, shown in groups of five, read back leniently", () => {
		const key = newRecoveryKey();
		expect(key).toMatch(/^[0-9A-HJKMNP-TV-Z]{30}$/);
		const shown = groupRecoveryKey(key);
		expect(shown).toMatch(/^([0-9A-Z]{5}-){5}[0-9A-Z]{5}$/);
		expect(normaliseRecoveryKey(` ${shown.toLowerCase().replaceAll("-", " ")} `)).toBe(key);
		expect(normaliseRecoveryKey("O1IL0".repeat(6))).toBe("01110".repeat(6));
		expect(normaliseRecoveryKey(key.slice(1))).toBeNull();
		expect(normaliseRecoveryKey(`${key.slice(1)}U`)).toBeNull();
	});
});

describe("backup and restore", () => {
	it("round trip into fresh stores: contacts and names, history, keys unverified with a verify-again entry", async () => {
		const source = await filledStores();
		const backup = await createBackup(source, AT + 10);
		expect(backup).toMatchObject({ contacts: 2, messages: 6 });
		// Nothing personal or secret in the clear.
		const clear = new TextDecoder().decode(backup.file);
		for (const secret of ["Ana", ANA, ME, "in m2", "t".repeat(40)]) expect(clear).not.toContain(secret);

		const target = createMemoryMessengerStores();
		const restored = await restoreBackup(target, backup.file, backup.recoveryKey);
		expect(restored).toMatchObject({
			phone: ME,
			contacts: 2,
			messagesAdded: 7,
			messagesKept: 0,
			verifyAgain: [ANA],
		});
		expect(await target.account.loadAccount()).toBeUndefined();
		const ana = await target.contacts.loadContact(ANA);
		expect(ana).toMatchObject({ name: "Ana", unread: 0, lastText: "in 3" });
		const pinned = await target.identities.loadTrustedIdentity(ANA);
		expect(pinned?.verified).toBe(false);
		expect(pinned?.signingKey).toEqual((await source.identities.loadTrustedIdentity(ANA))?.signingKey);
		const anaHistory = await target.history.listEntries(ANA);
		expect(anaHistory.map((e) => e.id)).toEqual(["m1", "m2", "m3", "f1", `sys-restore-${AT + 10}`]);
		expect(anaHistory.find((e) => e.id === "f1")?.attachment).toEqual(PHOTO);
		expect(anaHistory[4]).toMatchObject({ direction: "system", system: { event: "unverified" } });
		// A message still being sent is not sent again on its own: failed, with resend offered.
		const ben = await target.history.listEntries(BEN);
		expect(ben.find((e) => e.id === "m5")).toMatchObject({
			status: "failed",
			error: { code: "unknown_error" },
		});
		expect(await target.identities.loadTrustedIdentity(BEN)).toBeUndefined();
	});

	it("restoring twice adds nothing the second time; entries already here are kept as they are", async () => {
		const backup = await createBackup(await filledStores(), AT + 10);
		const target = createMemoryMessengerStores();
		await target.history.storeEntry({ ...entry(ANA, "m1", "out", AT + 1, "delivered"), text: "kept" });
		const first = await restoreBackup(target, backup.file, backup.recoveryKey);
		expect(first).toMatchObject({ messagesAdded: 6, messagesKept: 1 });
		const before = await snapshot(target);
		const second = await restoreBackup(target, backup.file, backup.recoveryKey);
		expect(second).toMatchObject({ messagesAdded: 0, messagesKept: 7 });
		expect(await snapshot(target)).toBe(before);
		expect((await target.history.listEntries(ANA))[0]?.text).toBe("kept");
	});

	it("a wrong, malformed, truncated, tampered, extended or newer-version file is refused and changes nothing", async () => {
		const backup = await createBackup(await filledStores(), AT + 10);
		const target = createMemoryMessengerStores();
		await target.contacts.storeContact({ v: 1, phone: BEN, unread: 1, lastAt: AT, lastText: "already here" });
		const before = await snapshot(target);
		const file = backup.file;
		const flip = (index: number): Bytes => {
			const copy = file.slice();
			copy[index] = (copy[index] ?? 0) ^ 0x01;
			return copy;
		};
		const headerEnd = file.indexOf(0x0a, BACKUP_MAGIC.length);
		const header = new TextDecoder().decode(file.subarray(0, headerEnd + 1));
		const newer = new Uint8Array([
			...utf8(header.replace('"version":1', '"version":2')),
			...file.subarray(headerEnd + 1),
		]);

		expect(await refusal(restoreBackup(target, file, groupRecoveryKey(newRecoveryKey())))).toBe(
			"backup_wrong_key",
		);
		expect(await refusal(restoreBackup(target, file, "not a key"))).toBe("backup_wrong_key");
		expect(await refusal(restoreBackup(target, file.subarray(0, file.length - 1), backup.recoveryKey))).toBe(
			"backup_damaged",
		);
		expect(await refusal(restoreBackup(target, file.subarray(0, headerEnd - 3), backup.recoveryKey))).toBe(
			"backup_damaged",
		);
		expect(await refusal(restoreBackup(target, new Uint8Array([...file, 0]), backup.recoveryKey))).toBe(
			"backup_damaged",
		);
		// A flipped bit in the ciphertext, in the tag, in the magic and in the header's salt.
		for (const index of [headerEnd + 10, file.length - 1, 3, header.indexOf('"salt":"') + 9])
			expect(await refusal(restoreBackup(target, flip(index), backup.recoveryKey)), `byte ${index}`).toMatch(
				/^backup_(damaged|wrong_key)$/,
			);
		expect(await refusal(restoreBackup(target, flip(headerEnd + 10), backup.recoveryKey))).toBe(
			"backup_damaged",
		);
		expect(await refusal(restoreBackup(target, newer, backup.recoveryKey))).toBe(
			"backup_unsupported_version",
		);
		expect(await refusal(restoreBackup(target, utf8("hello"), backup.recoveryKey))).toBe("backup_damaged");
		expect(await snapshot(target)).toBe(before);
	});
});
