// `friendly export <phone> [--format json|text] [--output <file>]`: one conversation in the clear, for
// your own records (protocol/messenger/export.ts). To stdout, or written atomically to --output; the
// warning that the result is unencrypted is in the output itself and, on a terminal, on stderr.
import { resolve } from "node:path";
import { Command } from "commander";
import * as v from "valibot";
import { EXPORT_FORMATS, EXPORT_WARNING, exportConversation } from "../../protocol/messenger/export.ts";
import { loadNames } from "../contact-view.ts";
import type { CliContext } from "../context.ts";
import { notRegisteredError } from "../errors.ts";
import { Runtime } from "../run.ts";
import { writeFileAtomic } from "../storage/atomic-file.ts";

const ExportOptions = v.object({
	format: v.optional(v.picklist(EXPORT_FORMATS, "--format is json or text"), "text"),
	output: v.optional(v.string()),
});

export function exportCommand(runtime: Runtime): Command {
	return new Command("export")
		.description("write one conversation in the clear (unencrypted!) for your own records")
		.argument("<phone>", "the contact")
		.option("--format <format>", "json or text (default text)")
		.option("--output <file>", "write to this file instead of stdout")
		.action((phone: string, _options: unknown, command: Command) =>
			runtime.run(command, (context) => exportChat(context, phone, Runtime.options(ExportOptions, command))),
		);
}

async function exportChat(
	context: CliContext,
	phoneInput: string,
	options: v.InferOutput<typeof ExportOptions>,
): Promise<void> {
	const peer = context.phone(phoneInput);
	const profile = await context.openProfile(false);
	try {
		const account = await profile.stores.account.loadAccount();
		if (!account) throw notRegisteredError(context.relayFor(account), context.profileName);
		const entries = await profile.stores.history.listEntries(peer);
		const name = (await loadNames(profile.stores)).get(peer);
		const text = exportConversation(
			{ me: account.phone, peer, ...(name !== undefined ? { name } : {}), entries, now: Date.now() },
			options.format,
		);
		if (options.output === undefined) {
			if (context.io.stdout.isTTY) context.io.stderr.write(`${EXPORT_WARNING}\n`);
			context.io.stdout.write(text);
			return;
		}
		const path = resolve(options.output);
		await writeFileAtomic(path, text);
		context.output.result([`Exported ${entries.length} entries with ${peer} to ${path}.`, EXPORT_WARNING], {
			ok: true,
			phone: peer,
			file: path,
			entries: entries.length,
			warning: EXPORT_WARNING,
		});
	} finally {
		await profile.close();
	}
}
