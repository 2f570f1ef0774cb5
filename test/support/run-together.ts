// `npm test`'s runner: starts every command it is given at once and fails if any of them fails. The
// type checks and the lint are single-threaded and take about a minute of one core; run before vitest
// they left the machine's second core idle, beside vitest they fill the gaps vitest leaves (its start-up,
// its last files). The two vitest projects run as two vitest processes for the same reason: in one run,
// vitest runs the `workers` project (one file at a time) only after the `node` project has finished. The first command's output is streamed as it comes (vitest's progress); every other
// command's output is held and printed in one piece after the streamed one ends, so nothing interleaves
// with vitest's live report. A summary line per command closes the run.
// Usage: node test/support/run-together.ts "<streamed command>" "<command>"…
import { spawn } from "node:child_process";

interface Outcome {
	command: string;
	code: number;
	seconds: number;
	output: Buffer;
}

function run(command: string, streamed: boolean): Promise<Outcome> {
	const started = Date.now();
	const child = spawn(command, {
		shell: true,
		stdio: streamed ? "inherit" : ["ignore", "pipe", "pipe"],
	});
	const held: Buffer[] = [];
	child.stdout?.on("data", (chunk: Buffer) => held.push(chunk));
	child.stderr?.on("data", (chunk: Buffer) => held.push(chunk));
	return new Promise((resolve) => {
		const finish = (code: number) => {
			resolve({
				command,
				code,
				seconds: Math.round((Date.now() - started) / 1000),
				output: Buffer.concat(held),
			});
		};
		child.once("error", (error) => {
			held.push(Buffer.from(`${error.message}\n`));
			finish(1);
		});
		child.once("close", (code, signal) => finish(code ?? (signal ? 1 : 0)));
	});
}

const commands = process.argv.slice(2);
if (commands.length === 0) {
	process.stderr.write('usage: node test/support/run-together.ts "<streamed command>" "<command>"…\n');
	process.exit(2);
}
const outcomes = await Promise.all(commands.map((command, index) => run(command, index === 0)));
const failed = outcomes.filter((outcome) => outcome.code !== 0);
for (const { command, code, output } of outcomes.slice(1)) {
	process.stdout.write(`\n── ${command} (exit ${code}) ──\n`);
	process.stdout.write(output);
}
process.stdout.write("\n");
for (const { command, code, seconds } of outcomes) {
	process.stdout.write(`${code === 0 ? "ok    " : "FAILED"} ${command} (${seconds} s)\n`);
}
process.exit(failed.length === 0 ? 0 : 1);
