// `friendly` with no command: the interactive client. Registers the profile first if needed (asks for
// the phone number and the code), then runs the chat prompt (interactive/chat-session.ts), which also
// registers the install again when the relay no longer accepts its session. Works on a terminal and
// with piped stdin (each line is an answer or a command).
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { ChatSession } from "../interactive/chat-session.ts";
import { LineReader } from "../interactive/line-reader.ts";
import { registerInteractively } from "../interactive/registration-prompt.ts";
import type { Runtime } from "../run.ts";

/**
 * The program's own action: no command starts the interactive client; `help [command]` shows help;
 * any other word is refused with the list of commands.
 */
export function interactiveAction(runtime: Runtime) {
	return (words: string[], _options: unknown, program: Command) =>
		runtime.run(program, async (context) => {
			const [first, topic] = words;
			if (first === "help") {
				const about = program.commands.find((command) => command.name() === topic);
				(about ?? program).outputHelp();
				return;
			}
			if (first !== undefined) {
				throw new CliError(
					EXIT_CODES.usage,
					"unknown_command",
					`Unknown command "${first.slice(0, 40)}".`,
					"Commands: register, send, receive, contacts, verify, history, whoami (friendly --help); no command starts the interactive client.",
				);
			}
			await interactive(context);
		});
}

async function interactive(context: CliContext): Promise<void> {
	if (context.output.json) {
		throw new CliError(
			EXIT_CODES.usage,
			"usage",
			"The interactive client has no --json mode.",
			"For scripts use the commands: friendly register | send | receive --json (see friendly --help).",
		);
	}
	const profile = await context.openProfile(true);
	let interrupt: () => void = () => undefined;
	const reader = new LineReader(context.io.stdin, context.io.stdout, () => interrupt());
	interrupt = () => reader.close();
	process.once("SIGINT", interrupt);
	process.once("SIGTERM", interrupt);
	const session = new ChatSession(context, profile, reader);
	try {
		let account = await profile.stores.account.loadAccount();
		context.relayFor(account);
		const firstRun = !account;
		if (!account) {
			account = await registerInteractively(context, profile, {
				reader,
				print: (line) => session.print(line),
				printError: (error) => session.printError(error),
			});
			if (!account) {
				session.print("Registration cancelled.");
				return;
			}
		}
		// A stored session may have been ended meanwhile (registered elsewhere, revoked): the session
		// asks the relay first and registers again straight away if so.
		await session.run({ checkSession: !firstRun });
	} finally {
		process.removeListener("SIGINT", interrupt);
		process.removeListener("SIGTERM", interrupt);
		reader.close();
		await profile.close();
	}
}
