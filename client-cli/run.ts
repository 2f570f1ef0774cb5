// Runs one command's body with its CliContext and turns whatever it throws into the documented
// output and exit code (errors.ts, exit-codes.ts). Commands never exit the process themselves: the
// exit code is recorded here and index.ts hands it to Node once the program has finished.
import { type Command, CommanderError } from "commander";
import * as v from "valibot";
import { CliContext, DEFAULT_RELAY_URL, GlobalOptions, type Io } from "./context.ts";
import { CliError, toCliError } from "./errors.ts";
import { EXIT_CODES, type ExitCode } from "./exit-codes.ts";
import { Output } from "./output/output.ts";

/**
 * The `hint:` line under one of commander's parse errors, naming the help that lists what exists: an
 * unknown option may be a global one, which works before or after the command.
 */
function usageHint(message: string, command: string | undefined): string {
	const help = command === undefined ? "friendly --help" : `friendly ${command} --help`;
	if (/unknown option/i.test(message))
		return `hint: ${help} lists the options, global ones (--json, --profile, --server, --no-color) included.`;
	return `hint: see ${help}.`;
}

export class Runtime {
	exitCode: ExitCode = EXIT_CODES.ok;

	constructor(readonly io: Io) {}

	async run(command: Command, body: (context: CliContext) => Promise<void>): Promise<void> {
		let context: CliContext | undefined;
		const globals = v.safeParse(GlobalOptions, command.optsWithGlobals());
		try {
			if (!globals.success) {
				throw new CliError(EXIT_CODES.usage, "usage", `Bad option: ${globals.issues[0].message}`);
			}
			context = new CliContext(globals.output, this.io);
			await body(context);
		} catch (error) {
			const output =
				context?.output ?? new Output(globals.success && globals.output.json === true, false, this.io);
			const failure = toCliError(error, {
				relayUrl: context?.relayUrl ?? DEFAULT_RELAY_URL,
				...(context?.peer ? { peer: context.peer } : {}),
			});
			output.error(failure);
			this.exitCode = failure.exitCode;
		}
	}

	/**
	 * commander's own parse errors (unknown command or option, missing argument): already printed by
	 * commander (or as JSON, see index.ts); they map to `usage`. --help and --version exit 0.
	 */
	parseFailed(error: unknown): void {
		if (!(error instanceof CommanderError)) throw error;
		this.exitCode = error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
	}

	/** How commander should print its parse errors: plain with a hint, or one JSON line with --json. */
	commanderOutput(json: boolean, command?: string) {
		return {
			writeOut: (text: string) => this.io.stdout.write(text),
			writeErr: (text: string) => this.io.stderr.write(text),
			outputError: (text: string, write: (text: string) => void) => {
				const message = text.replace(/^error:\s*/, "").trim();
				if (json) {
					new Output(true, false, this.io).error(
						new CliError(
							EXIT_CODES.usage,
							"usage",
							message,
							`See friendly ${command === undefined ? "" : `${command} `}--help.`,
						),
					);
				} else {
					write(`${text.trimEnd()}\n${usageHint(message, command)}\n`);
				}
			},
		};
	}

	/** Parses a command's own options with a schema (commander hands them over untyped). */
	static options<S extends v.GenericSchema>(schema: S, command: Command): v.InferOutput<S> {
		const parsed = v.safeParse(schema, command.opts());
		if (!parsed.success) {
			throw new CliError(
				EXIT_CODES.usage,
				"usage",
				`Bad option: ${parsed.issues[0].message}`,
				`See friendly ${command.name()} --help.`,
			);
		}
		return parsed.output;
	}
}
