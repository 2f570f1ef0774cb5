// `friendly`: the FriendLy command-line client (docs/CLI.md). The program — global options, the
// interactive default, one subcommand per file in commands/ — is assembled in program.ts; this file
// runs it with the process's streams. The exit code comes from the Runtime (run.ts), which turns every
// failure into the documented code.
import { runProgram } from "./program.ts";
import { Runtime } from "./run.ts";

const runtime = new Runtime({
	stdin: process.stdin,
	stdout: process.stdout,
	stderr: process.stderr,
	env: process.env,
});
await runProgram(runtime, process.argv);
process.exitCode = runtime.exitCode;
