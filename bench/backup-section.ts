// Section 7: encrypted backups (issue 15, protocol/messenger/backup.ts) of a CLI profile on disk with
// 10,000 messages (20 contacts × 500): writing the backup (read the stores, seal, write the file
// atomically) and restoring it into a fresh profile (open, check, one history write per contact). The
// baseline is reading the same history from the stores alone, the floor of any backup.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../client-cli/storage/atomic-file.ts";
import { openProfile } from "../client-cli/storage/index.ts";
import { exportRawPublicKey, generateEcKeyPair, randomBytes } from "../protocol/crypto/webcrypto.ts";
import { createBackup, type HistoryEntry, restoreBackup } from "../protocol/messenger/index.ts";
import type { BenchOptions, Row } from "./lib/options.ts";

const CONTACTS = 20;

async function profile(directory: string) {
	return openProfile({ name: "bench", directory, lock: true, passphrase: async () => "" });
}

export async function run(options: BenchOptions): Promise<Row[]> {
	const messages = options.quick ? 2_000 : 10_000;
	console.log(`[7] backup: ${messages} messages with ${CONTACTS} contacts, CLI profile on disk`);
	const root = await mkdtemp(join(tmpdir(), "friendly-bench-backup-"));
	try {
		const source = await profile(join(root, "source"));
		const phones = Array.from({ length: CONTACTS }, (_, i) => `+1555555${String(1000 + i)}`);
		const at = Date.UTC(2026, 0, 1);
		// Real P-256 points (the stores check them); one pair serves every contact.
		const point = await exportRawPublicKey((await generateEcKeyPair("ECDH", false)).publicKey);
		for (const [index, phone] of phones.entries()) {
			await source.stores.contacts.storeContact({ v: 1, phone, unread: 0, lastAt: at, lastText: "" });
			await source.stores.identities.storeTrustedIdentity({
				v: 1,
				phone,
				signingKey: point,
				dhKey: point,
				dhKeySignature: randomBytes(64),
				firstSeenAt: at,
				verified: index % 2 === 0,
			});
			const entries: HistoryEntry[] = [];
			for (let i = 0; i < messages / CONTACTS; i++) {
				entries.push({
					v: 1,
					peer: phone,
					id: `m-${index}-${i}`,
					direction: i % 2 === 0 ? "in" : "out",
					// A typical chat line (~60 characters).
					text: `message ${i} in a conversation of an ordinary length, more or less.`,
					at: at + i * 1000,
					status: i % 2 === 0 ? "received" : "delivered",
				});
			}
			await source.stores.history.storeEntries?.(entries);
		}

		let t0 = performance.now();
		for (const phone of phones) await source.stores.history.listEntries(phone);
		const readMs = performance.now() - t0;

		t0 = performance.now();
		const made = await createBackup(source.stores, Date.now());
		await writeFileAtomic(join(root, "backup.friendly"), made.file);
		const backupMs = performance.now() - t0;
		await source.close();

		const target = await profile(join(root, "target"));
		t0 = performance.now();
		const restored = await restoreBackup(target.stores, made.file, made.recoveryKey);
		const restoreMs = performance.now() - t0;
		await target.close();
		if (restored.messagesAdded < messages)
			throw new Error(`restored ${restored.messagesAdded} of ${messages}`);

		const note = `${messages} messages, ${CONTACTS} contacts, ${(made.file.length / 1e6).toFixed(1)} MB file`;
		return [
			{
				section: "7 backup",
				name: `backup of ${messages} messages`,
				value: backupMs / 1000,
				unit: "s",
				baseline: readMs / 1000,
				baselineName: "reading the history",
				ratio: backupMs / readMs,
				target: "< 10 s",
				pass: backupMs < 10_000,
				note,
			},
			{
				section: "7 backup",
				name: `restore of ${messages} messages`,
				value: restoreMs / 1000,
				unit: "s",
				target: "< 10 s",
				pass: restoreMs < 10_000,
				note,
			},
			{ section: "7 backup", name: "backup file size", value: made.file.length, unit: "bytes", note },
		];
	} finally {
		await rm(root, { recursive: true, force: true });
	}
}
