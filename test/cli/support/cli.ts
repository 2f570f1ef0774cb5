// Drives real `friendly` processes for the CLI tests: the bundle is built from client-cli/ with the
// same options as `npm run build:cli` (once per run, test/support/cli-bundle.ts) and run with this
// Node; each environment has its own FRIENDLY_HOME in a temporary directory. Every process is spawned asynchronously — the relay runs in this process's event loop
// (wrangler's test harness), so blocking it (execFileSync) would deadlock.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testCliBundle } from "../../support/cli-bundle.ts";

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

export interface CliEnvironment {
	/** FRIENDLY_HOME: where the profiles live. */
	home: string;
	/** FRIENDLY_SERVER */
	server: string;
	bundle: string;
	cleanup(): Promise<void>;
}

export async function createCliEnvironment(server: string): Promise<CliEnvironment> {
	const bundle = await testCliBundle();
	const root = await mkdtemp(join(tmpdir(), "friendly-cli-test-"));
	return {
		home: join(root, "home"),
		server,
		bundle,
		cleanup: () => rm(root, { recursive: true, force: true }),
	};
}

function childEnv(environment: CliEnvironment, extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {
		...process.env,
		FRIENDLY_HOME: environment.home,
		FRIENDLY_SERVER: environment.server,
		NO_COLOR: "1",
	};
	delete env.FRIENDLY_PROFILE;
	delete env.FRIENDLY_PASSPHRASE;
	for (const [name, value] of Object.entries(extra)) {
		if (value === undefined) delete env[name];
		else env[name] = value;
	}
	return env;
}

export function spawnCli(
	environment: CliEnvironment,
	args: readonly string[],
	extraEnv: Record<string, string | undefined> = {},
): ChildProcessWithoutNullStreams {
	return spawn(process.execPath, [environment.bundle, ...args], {
		env: childEnv(environment, extraEnv),
		stdio: ["pipe", "pipe", "pipe"],
	});
}

/**
 * The same in a pseudo-terminal (util-linux `script`), so `friendly` sees a terminal on stdin and
 * stdout: prompts, hidden input and line redrawing take their terminal paths. Output comes back as the
 * terminal shows it (stdout and stderr merged, with escape sequences).
 */
export function spawnCliInPty(
	environment: CliEnvironment,
	args: readonly string[],
	extraEnv: Record<string, string | undefined> = {},
): ChildProcessWithoutNullStreams {
	const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
	const command = [process.execPath, environment.bundle, ...args].map(quote).join(" ");
	return spawn("script", ["-qfec", `stty cols 200 rows 50 2>/dev/null; exec ${command}`, "/dev/null"], {
		env: childEnv(environment, { TERM: "xterm", ...extraEnv }),
		stdio: ["pipe", "pipe", "pipe"],
	});
}

/** Runs `friendly args…` to completion (stdin: `input`, then closed). */
export function runCli(
	environment: CliEnvironment,
	args: readonly string[],
	options: { input?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
	const child = spawnCli(environment, args, options.env);
	let stdout = "";
	let stderr = "";
	child.stdout.on("data", (chunk) => {
		stdout += String(chunk);
	});
	child.stderr.on("data", (chunk) => {
		stderr += String(chunk);
	});
	child.stdin.end(options.input ?? "");
	return new Promise((resolve, reject) => {
		child.once("error", reject);
		child.once("close", (code) => resolve({ code, stdout, stderr }));
	});
}

/** Parses --json output: one JSON value per non-empty line. */
export function jsonLines(stdout: string): unknown[] {
	return stdout
		.split("\n")
		.filter((line) => line.trim() !== "")
		.map((line) => JSON.parse(line));
}

/** The `--json` lines of one event type ("message", "attachment", …), in order. */
export function jsonEvents(stdout: string, type: string): Record<string, unknown>[] {
	return jsonLines(stdout)
		.filter((line): line is Record<string, unknown> => typeof line === "object" && line !== null)
		.filter((line) => line.type === type);
}

export function jsonOutput(result: CliResult): Record<string, unknown> {
	const [first] = jsonLines(result.stdout);
	if (typeof first !== "object" || first === null) throw new Error(`no JSON output: ${describe(result)}`);
	return { ...first };
}

export function describe(result: CliResult): string {
	return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** Registers `phone` on `profile` non-interactively (request with --json, then --code). */
export async function registerProfile(
	environment: CliEnvironment,
	profile: string,
	phone: string,
): Promise<void> {
	const requested = await runCli(environment, ["--profile", profile, "--json", "register", phone]);
	if (requested.code !== 0) throw new Error(`code request failed: ${describe(requested)}`);
	const code = jsonOutput(requested).code;
	if (typeof code !== "string") throw new Error(`no echoed code: ${describe(requested)}`);
	const confirmed = await runCli(environment, [
		"--profile",
		profile,
		"--json",
		"register",
		phone,
		"--code",
		code,
	]);
	if (confirmed.code !== 0) throw new Error(`registration failed: ${describe(confirmed)}`);
}

/** A long-running `friendly` (the interactive client) whose output can be awaited line by line. */
export class CliProcess {
	readonly child: ChildProcessWithoutNullStreams;
	private stdoutText = "";
	private stderrText = "";
	private readonly waiters = new Set<() => void>();
	readonly exited: Promise<number | null>;
	private readonly terminal: boolean;

	constructor(
		environment: CliEnvironment,
		args: readonly string[],
		options: { env?: Record<string, string | undefined>; terminal?: boolean } = {},
	) {
		this.terminal = options.terminal === true;
		this.child = (this.terminal ? spawnCliInPty : spawnCli)(environment, args, options.env ?? {});
		const wake = () => {
			for (const waiter of this.waiters) waiter();
		};
		this.child.stdout.on("data", (chunk) => {
			this.stdoutText += String(chunk);
			wake();
		});
		this.child.stderr.on("data", (chunk) => {
			this.stderrText += String(chunk);
			wake();
		});
		this.exited = new Promise((resolve) => {
			this.child.once("close", (code) => {
				wake();
				resolve(code);
			});
		});
	}

	/** What was printed; from a terminal, without its escape sequences (cursor moves, line clearing). */
	get stdout(): string {
		// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences.
		return this.terminal ? this.stdoutText.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "") : this.stdoutText;
	}

	get stderr(): string {
		return this.stderrText;
	}

	writeLine(line: string): void {
		this.child.stdin.write(`${line}\n`);
	}

	/** Text as typed on a terminal (Enter is a carriage return there). */
	type(text: string): void {
		this.child.stdin.write(text);
	}

	endInput(): void {
		this.child.stdin.end();
	}

	/**
	 * Resolves when stdout (after `from`, a previous length) matches; returns the match. Fails with the
	 * output so far if the process exits first or nothing matches within `timeoutMs`.
	 */
	waitFor(pattern: RegExp, from = 0, timeoutMs = 20_000): Promise<RegExpMatchArray> {
		return new Promise((resolve, reject) => {
			const check = () => {
				const match = this.stdout.slice(from).match(pattern);
				if (match) {
					this.waiters.delete(check);
					clearTimeout(timer);
					resolve(match);
					return;
				}
				if (this.child.exitCode !== null) {
					this.waiters.delete(check);
					clearTimeout(timer);
					reject(new Error(`process exited before ${pattern}:\n${this.transcript()}`));
				}
			};
			const timer = setTimeout(() => {
				this.waiters.delete(check);
				reject(new Error(`timed out waiting for ${pattern}:\n${this.transcript()}`));
			}, timeoutMs);
			this.waiters.add(check);
			check();
		});
	}

	transcript(): string {
		return `--- stdout\n${this.stdout}\n--- stderr\n${this.stderrText}`;
	}

	async stop(): Promise<void> {
		if (this.child.exitCode === null) this.child.kill("SIGKILL");
		await this.exited;
	}
}
