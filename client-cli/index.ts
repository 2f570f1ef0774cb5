// `friendly`: the FriendLy command-line client (docs/CLI.md). This file only assembles the program —
// global options, the interactive default, one subcommand per file in commands/ — and runs it. The exit
// code comes from the Runtime (run.ts), which turns every failure into the documented code.
import { Command } from "commander";
import packageJson from "../package.json" with { type: "json" };
import { contactsCommand } from "./commands/contacts.ts";
import { historyCommand } from "./commands/history.ts";
import { interactiveAction } from "./commands/interactive.ts";
import { receiveCommand } from "./commands/receive.ts";
import { registerCommand } from "./commands/register.ts";
import { sendCommand } from "./commands/send.ts";
import { verifyCommand } from "./commands/verify.ts";
import { whoamiCommand } from "./commands/whoami.ts";
import { DEFAULT_RELAY_URL } from "./context.ts";
import { EXIT_CODE_TABLE } from "./exit-codes.ts";
import { Runtime } from "./run.ts";

const runtime = new Runtime({
	stdin: process.stdin,
	stdout: process.stdout,
	stderr: process.stderr,
	env: process.env,
});
const commanderOutput = runtime.commanderOutput(process.argv.includes("--json"));

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
	receiveCommand(runtime),
	contactsCommand(runtime),
	verifyCommand(runtime),
	historyCommand(runtime),
	whoamiCommand(runtime),
]) {
	program.addCommand(command.exitOverride().configureOutput(commanderOutput));
}
program.exitOverride().configureOutput(commanderOutput);

try {
	await program.parseAsync(process.argv);
} catch (error) {
	runtime.parseFailed(error);
}
process.exitCode = runtime.exitCode;
