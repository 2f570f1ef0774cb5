// `friendly history <phone> [--limit <n>]`: the local message history with a contact (the relay keeps
// nothing after delivery), oldest first, with each sent message's status, a date line before each
// day, and the system entries (key changes, trust decisions, messages not delivered) marked `·` — in
// --json each with `"direction":"system"` and `"system":{"event",…}`.
import { Command } from "commander";
import * as v from "valibot";
import { loadNames } from "../contact-view.ts";
import type { CliContext } from "../context.ts";
import { notRegisteredError } from "../errors.ts";
import { entryJson, historyLines, labelWithNumber } from "../output/format.ts";
import { Runtime } from "../run.ts";

const HistoryOptions = v.object({
	limit: v.optional(v.pipe(v.string(), v.regex(/^[0-9]+$/, "--limit takes a number"), v.transform(Number))),
});

export function historyCommand(runtime: Runtime): Command {
	return new Command("history")
		.description("show your message history with a contact")
		.argument("<phone>", "the contact")
		.option("--limit <n>", "only the last n messages")
		.action((phone: string, _options: unknown, command: Command) =>
			runtime.run(command, (context) =>
				history(context, phone, Runtime.options(HistoryOptions, command).limit),
			),
		);
}

async function history(context: CliContext, phoneInput: string, limit: number | undefined): Promise<void> {
	const peer = context.phone(phoneInput);
	const profile = await context.openProfile(false);
	try {
		const account = await profile.stores.account.loadAccount();
		if (!account) throw notRegisteredError(context.relayFor(account), context.profileName);
		const all = await profile.stores.history.listEntries(peer);
		const entries = limit === undefined ? all : all.slice(Math.max(0, all.length - limit));
		const { style } = context.output;
		const names = await loadNames(profile.stores);
		const name = names.get(peer);
		context.output.result(
			entries.length === 0
				? [`No messages with ${labelWithNumber(peer, names)} yet.`]
				: historyLines(entries, style, names),
			{ ok: true, phone: peer, ...(name === undefined ? {} : { name }), messages: entries.map(entryJson) },
		);
	} finally {
		await profile.close();
	}
}
