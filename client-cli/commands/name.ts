// `friendly name <phone> <name…>` / `friendly name <phone> --clear`: your own name for a contact, shown
// instead of the number wherever one is shown (the number stays in `contacts` and `verify`). Stored in
// this profile only, never sent to the relay or the contact. A contact can be named before any message.
import { Command } from "commander";
import * as v from "valibot";
import { Messenger } from "../../protocol/messenger/index.ts";
import type { CliContext } from "../context.ts";
import { CliError, notRegisteredError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { Runtime } from "../run.ts";

const NameOptions = v.object({ clear: v.optional(v.boolean()) });

export function nameCommand(runtime: Runtime): Command {
	return new Command("name")
		.description("give a contact a name (local only: never sent), or --clear it")
		.argument("<phone>", "the contact")
		.argument("[name...]", "the name (1 to 64 characters)")
		.option("--clear", "remove the name; the number is shown again")
		.action((phone: string, words: string[], _options: unknown, command: Command) =>
			runtime.run(command, (context) =>
				name(context, phone, words.join(" "), Runtime.options(NameOptions, command).clear === true),
			),
		);
}

async function name(context: CliContext, phoneInput: string, text: string, clear: boolean): Promise<void> {
	const peer = context.phone(phoneInput);
	if (clear === (text.trim() !== "")) {
		throw new CliError(
			EXIT_CODES.usage,
			"usage",
			clear ? "Give a name or --clear, not both." : "Give the name, or --clear to remove it.",
			`e.g. ${context.invocation} name ${peer} Alice — or ${context.invocation} name ${peer} --clear`,
		);
	}
	const profile = await context.openProfile(true);
	try {
		const account = await profile.stores.account.loadAccount();
		if (!account) throw notRegisteredError(context.relayFor(account), context.profileName);
		context.peer = peer;
		// Local only: the messenger is opened for its rules (validation, the contact record), not started.
		const messenger = await Messenger.open({ stores: profile.stores, onEvent: () => undefined });
		const contact = await messenger.setName(peer, clear ? null : text);
		context.output.result(
			contact.name === undefined ? `${peer} has no name now.` : `${peer} is now shown as "${contact.name}".`,
			{ ok: true, phone: peer, name: contact.name ?? null },
		);
	} finally {
		await profile.close();
	}
}
