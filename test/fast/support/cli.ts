// Runs `friendly` in this process: the real program (client-cli/program.ts) with a Runtime whose Io
// is in-memory streams and an environment of the test's choosing (FRIENDLY_HOME → a temp directory),
// so a command's output and exit code come back in milliseconds. The process-level twin is
// test/cli/support/cli.ts, which runs the built executable.
import { Readable, Writable } from "node:stream";
import type { Io } from "../../../client-cli/context.ts";
import { runProgram } from "../../../client-cli/program.ts";
import { Runtime } from "../../../client-cli/run.ts";

export interface CliResult {
	code: number;
	stdout: string;
	stderr: string;
}

function capture(): { stream: Writable; text: () => string } {
	let text = "";
	const stream = new Writable({
		write(chunk: Buffer | string, _encoding, callback) {
			text += typeof chunk === "string" ? chunk : chunk.toString("utf8");
			callback();
		},
	});
	return { stream, text: () => text };
}

export async function friendly(
	args: readonly string[],
	options: { env: NodeJS.ProcessEnv; stdin?: string },
): Promise<CliResult> {
	const stdout = capture();
	const stderr = capture();
	const stdin = Readable.from(options.stdin === undefined ? [] : [options.stdin]);
	// Io names the process's tty stream types; the commands use only what any stream has (write, read,
	// events) and `isTTY`, which these streams lack, as a pipe does.
	const io: Io = {
		stdin: stdin as unknown as Io["stdin"],
		stdout: stdout.stream as unknown as Io["stdout"],
		stderr: stderr.stream as unknown as Io["stderr"],
		env: options.env,
	};
	const runtime = new Runtime(io);
	await runProgram(runtime, ["node", "friendly", ...args]);
	return { code: runtime.exitCode, stdout: stdout.text(), stderr: stderr.text() };
}

/** The one JSON document a --json command printed on stdout. */
export function jsonOf(result: CliResult): Record<string, unknown> {
	const lines = result.stdout.trim().split("\n");
	if (lines.length !== 1 || !lines[0]) throw new Error(`expected one JSON line, got: ${result.stdout}`);
	const parsed: unknown = JSON.parse(lines[0]);
	if (typeof parsed !== "object" || parsed === null) throw new Error(`not a JSON object: ${lines[0]}`);
	return { ...parsed };
}

export function describeResult(result: CliResult): string {
	return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}
