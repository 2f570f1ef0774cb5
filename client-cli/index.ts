// `friendly`: the FriendLy command-line client (docs/CLI.md). The program — global options, the
// interactive default, one subcommand per file in commands/ — is assembled in program.ts; this file
// runs it with the process's streams. The exit code comes from the Runtime (run.ts), which turns every
// failure into the documented code. Cryptography runs on the node:crypto backend (KeyObjects, synchronous
// calls; docs/PERFORMANCE.md §Crypto backends) and ML-KEM-768 on liboqs (node-crypto/ml-kem.ts),
// selected here before anything makes a key; the stored files are the same either way
// (protocol/session/serialize.ts).
import { nodeCryptoBackend } from "../node-crypto/backend.ts";
import { nodeMlKemBackend } from "../node-crypto/ml-kem.ts";
import { setCryptoBackend } from "../protocol/crypto/backend.ts";
import { setMlKemBackend } from "../protocol/crypto/ml-kem.ts";
import { runProgram } from "./program.ts";
import { Runtime } from "./run.ts";

setCryptoBackend(nodeCryptoBackend);
setMlKemBackend(nodeMlKemBackend);

const runtime = new Runtime({
	stdin: process.stdin,
	stdout: process.stdout,
	stderr: process.stderr,
	env: process.env,
});
await runProgram(runtime, process.argv);
process.exitCode = runtime.exitCode;
