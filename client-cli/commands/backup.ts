// `friendly backup <file>` and `friendly restore <file>` (docs/CLI.md §Backup and restore): an encrypted
// backup of this profile's contacts, names, pinned keys, verification marks and message history under
// a new recovery key shown once; and its restore into this (typically fresh) profile, before or after
// `friendly register`. The identity private keys are never in a backup (docs/SECURITY.md §Backups):
// a restored profile registers a new identity, which contacts see as a key change.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Command } from "commander";
import { createBackup, restoreBackup } from "../../protocol/messenger/index.ts";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { askLine } from "../interactive/ask.ts";
import type { Runtime } from "../run.ts";
import { writeFileAtomic } from "../storage/atomic-file.ts";

function count(n: number, noun: string): string {
	return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

export function backupCommand(runtime: Runtime): Command {
	return new Command("backup")
		.description("write an encrypted backup of your contacts and messages (shows its recovery key once)")
		.argument("<file>", "where to write it (replaced atomically if it exists)")
		.action((file: string, _options: unknown, command: Command) =>
			runtime.run(command, (context) => backup(context, file)),
		);
}

export function restoreCommand(runtime: Runtime): Command {
	return new Command("restore")
		.description("restore contacts and messages from a backup (asks for its recovery key)")
		.argument("<file>", "the backup file")
		.action((file: string, _options: unknown, command: Command) =>
			runtime.run(command, (context) => restore(context, file)),
		);
}

async function backup(context: CliContext, fileInput: string): Promise<void> {
	const path = resolve(fileInput);
	const profile = await context.openProfile(true);
	try {
		const made = await createBackup(profile.stores, Date.now());
		await writeFileAtomic(path, made.file);
		context.output.result(
			[
				`Backed up ${count(made.messages, "message")} with ${count(made.contacts, "contact")} to ${path}.`,
				"",
				`  Recovery key: ${made.recoveryKey}`,
				"",
				"Write the recovery key down now: it is shown only this once, and without it the backup cannot be opened.",
				"Keep it apart from the file: together they let anyone read your message history.",
			],
			{
				ok: true,
				file: path,
				recoveryKey: made.recoveryKey,
				contacts: made.contacts,
				messages: made.messages,
			},
		);
	} finally {
		await profile.close();
	}
}

async function restore(context: CliContext, fileInput: string): Promise<void> {
	const path = resolve(fileInput);
	let file: Uint8Array<ArrayBuffer>;
	try {
		file = new Uint8Array(await readFile(path));
	} catch {
		throw new CliError(EXIT_CODES.usage, "file_unreadable", `Cannot read ${path}.`, "Check the file name.");
	}
	const key =
		context.io.env.FRIENDLY_RECOVERY_KEY ??
		(await askLine(
			context.io.stdin,
			context.io.stderr,
			"Recovery key (30 characters, as shown at backup): ",
		));
	const profile = await context.openProfile(true);
	try {
		const restored = await restoreBackup(profile.stores, file, key);
		const account = await profile.stores.account.loadAccount();
		const lines = [
			`Restored ${count(restored.messagesAdded, "message")} with ${count(restored.contacts, "contact")} from the backup of ${restored.phone ?? "an unregistered profile"} made ${new Date(restored.createdAt).toISOString()}${restored.messagesKept > 0 ? ` (${restored.messagesKept} were here already)` : ""}.`,
		];
		if (restored.verifyAgain.length > 0)
			lines.push(`Verify again (compare safety numbers): ${restored.verifyAgain.join(", ")}.`);
		if (!account)
			lines.push(
				`Next: ${context.invocation} register ${restored.phone ?? "<phone>"} (a new identity key: your contacts will see a safety number change).`,
			);
		context.output.result(lines, {
			ok: true,
			phone: restored.phone,
			createdAt: restored.createdAt,
			contacts: restored.contacts,
			messagesAdded: restored.messagesAdded,
			messagesKept: restored.messagesKept,
			verifyAgain: restored.verifyAgain,
		});
	} finally {
		await profile.close();
	}
}
