// `friendly delete-account [--yes]`: deletes this profile's account on the relay (registration, tokens,
// keys, mailbox, outbox, push subscriptions; docs/PROTOCOL.md §Deleting an account) and then, only
// after the relay confirmed, this profile's directory. The number must be typed to confirm (read from
// the terminal or stdin); `--yes` skips that for scripts. If the relay cannot confirm, nothing local is
// removed and the command can be run again.
import { rm } from "node:fs/promises";
import { Command } from "commander";
import * as v from "valibot";
import { RelayHttpClient } from "../../protocol/client/index.ts";
import { normalisePhone } from "../../protocol/wire/index.ts";
import type { CliContext } from "../context.ts";
import { CliError, notRegisteredError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { askLine } from "../interactive/ask.ts";
import { checkRelayReachable } from "../relay-check.ts";
import { Runtime } from "../run.ts";

const DeleteOptions = v.object({ yes: v.optional(v.boolean()) });

export function deleteAccountCommand(runtime: Runtime): Command {
	return new Command("delete-account")
		.description("delete your account on the relay, then this profile's files (asks you to type the number)")
		.option("--yes", "do not ask (for scripts)")
		.action((_options: unknown, command: Command) =>
			runtime.run(command, (context) =>
				deleteAccount(context, Runtime.options(DeleteOptions, command).yes === true),
			),
		);
}

async function deleteAccount(context: CliContext, yes: boolean): Promise<void> {
	const profile = await context.openProfile(true);
	let deleted: { phone: string; relayUrl: string } | null = null;
	try {
		const account = await profile.stores.account.loadAccount();
		const relayUrl = context.relayFor(account);
		if (!account) throw notRegisteredError(relayUrl, context.profileName);
		if (!yes) await confirmNumber(context, account.phone);
		await checkRelayReachable(relayUrl);
		await new RelayHttpClient(relayUrl).deleteAccount(account.token, account.phone);
		deleted = { phone: account.phone, relayUrl };
	} finally {
		await profile.close();
	}
	// The relay confirmed: the profile goes too (lock released first, so nothing is left behind).
	await rm(profile.directory, { recursive: true, force: true });
	context.output.result(
		[
			`Deleted ${deleted.phone} from ${deleted.relayUrl} and removed this profile (${profile.directory}).`,
			"Contacts who write to this number now get unknown_recipient; it can register again as new.",
		],
		{ ok: true, phone: deleted.phone, relayUrl: deleted.relayUrl, directory: profile.directory },
	);
}

async function confirmNumber(context: CliContext, phone: string): Promise<void> {
	const answer = await askLine(
		context.io.stdin,
		context.io.stderr,
		`This deletes ${phone} from the relay and every message, contact and key in this profile; it cannot be undone.\nType the number to confirm: `,
	);
	const typed = normalisePhone(answer);
	if (!typed.ok || typed.phone !== phone) {
		throw new CliError(
			EXIT_CODES.usage,
			"deletion_not_confirmed",
			answer.trim() === ""
				? "No number was typed; nothing was deleted."
				: "That is not this profile's number; nothing was deleted.",
			`Type ${phone} exactly when asked, or pass --yes in a script.`,
		);
	}
}
