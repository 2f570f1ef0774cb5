// `friendly history <phone> [--limit <n>]`: the local message history with a contact (the relay keeps
// nothing after delivery), oldest first, with each sent message's status.
import { Command } from "commander";
import * as v from "valibot";
import type { CliContext } from "../context.ts";
import { notRegisteredError } from "../errors.ts";
import { entryJson, historyLine } from "../output/format.ts";
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
		context.output.result(
			entries.length === 0
				? [`No messages with ${peer} yet.`]
				: entries.map((entry) => historyLine(entry, style)),
			{ ok: true, phone: peer, messages: entries.map(entryJson) },
		);
	} finally {
		await profile.close();
	}
}
