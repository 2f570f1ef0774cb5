// The `friendly` program: global options, the interactive default and one subcommand per file in
// commands/, wired to a Runtime (run.ts). index.ts runs it with the process's streams; the fast tests
// (test/fast/cli.test.ts) run it in-process with their own Io and arguments.
import { Command } from "commander";
import packageJson from "../package.json" with { type: "json" };
import { backupCommand, restoreCommand } from "./commands/backup.ts";
import { contactsCommand } from "./commands/contacts.ts";
import { deleteAccountCommand } from "./commands/delete-account.ts";
import { exportCommand } from "./commands/export.ts";
import { historyCommand } from "./commands/history.ts";
import { interactiveAction } from "./commands/interactive.ts";
import { nameCommand } from "./commands/name.ts";
import { receiveCommand } from "./commands/receive.ts";
import { registerCommand } from "./commands/register.ts";
import { resendCommand } from "./commands/resend.ts";
import { sendCommand } from "./commands/send.ts";
import { verifyCommand } from "./commands/verify.ts";
import { verifyWebCommand } from "./commands/verify-web.ts";
import { whoamiCommand } from "./commands/whoami.ts";
import { DEFAULT_RELAY_URL } from "./context.ts";
import { EXIT_CODE_TABLE } from "./exit-codes.ts";
import type { Runtime } from "./run.ts";

/** `json`: commander's own parse errors are printed as one JSON line (--json anywhere in argv). */
export function createProgram(runtime: Runtime, json: boolean): Command {
	const commanderOutput = runtime.commanderOutput(json);
	const program = new Command("friendly")
		.description(
			"FriendLy: end-to-end encrypted messaging from the terminal. Without a command: the interactive client.",
		)
		.version(packageJson.version)
		.option(
			"--server <url>",
			`relay URL (default: FRIENDLY_SERVER, the profile's relay, or ${DEFAULT_RELAY_URL})`,
		)
		.option("--profile <name>", 'which identity on this machine (default: FRIENDLY_PROFILE or "default")')
		.option("--json", "machine-readable output (one JSON object per line)")
		.option("--no-color", "no colours (NO_COLOR works too)")
		.usage("[options] [command]")
		.argument("[command...]")
		.addHelpText(
			"after",
			`\nExit codes:\n${EXIT_CODE_TABLE.map(({ code, meaning }) => `  ${String(code).padStart(2)}  ${meaning}`).join("\n")}\n\nDocumentation: docs/CLI.md`,
		)
		.action(interactiveAction(runtime));

	for (const command of [
		registerCommand(runtime),
		sendCommand(runtime),
		resendCommand(runtime),
		receiveCommand(runtime),
		contactsCommand(runtime),
		nameCommand(runtime),
		verifyCommand(runtime),
		verifyWebCommand(runtime),
		historyCommand(runtime),
		whoamiCommand(runtime),
		exportCommand(runtime),
		backupCommand(runtime),
		restoreCommand(runtime),
		deleteAccountCommand(runtime),
	]) {
		// A subcommand's --help lists the global options too (they work before or after the command).
		program.addCommand(
			command
				.exitOverride()
				.configureOutput(runtime.commanderOutput(json, command.name()))
				.configureHelp({ showGlobalOptions: true }),
		);
	}
	return program.exitOverride().configureOutput(commanderOutput);
}

/** Parses `argv` (as process.argv: node, script, arguments…) and runs the command; the exit code is on `runtime`. */
export async function runProgram(runtime: Runtime, argv: readonly string[]): Promise<void> {
	const program = createProgram(runtime, argv.includes("--json"));
	try {
		await program.parseAsync([...argv]);
	} catch (error) {
		runtime.parseFailed(error);
	}
}
