// When the relay ends an install's session (its number registered from another install, or its token
// revoked), the interactive client says what happened and how to recover: `register` at the prompt
// registers this install again — with its existing identity keys, so a contact who pinned them sees no
// key change — and the prompt carries on with a new session. Started with a token the relay already
// refuses, the client goes straight to that registration instead of a dead prompt.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	CliProcess,
	createCliEnvironment,
	describe as describeResult,
	jsonLines,
	jsonOutput,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const ANNA = "+15555550181";
const CARL = "+15555550182";
const ZOE = "+15555550183";

let relay: RunningRelay;
let env: CliEnvironment;

beforeAll(async () => {
	relay = await startRelay();
	env = await createCliEnvironment(relay.url);
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

async function fingerprint(profile: string): Promise<unknown> {
	const whoami = await runCli(env, ["--profile", profile, "--json", "whoami"]);
	expect(whoami.code, describeResult(whoami)).toBe(0);
	return jsonOutput(whoami).identityFingerprint;
}

describe("the relay ends the interactive client's session", () => {
	it("explains it, and `register` at the prompt registers this install again with the same keys", async () => {
		await registerProfile(env, "anna", ANNA);
		await registerProfile(env, "carl", CARL);
		const annaKey = await fingerprint("anna");
		// Carl pins Anna's identity key.
		const hello = await runCli(env, ["--profile", "anna", "send", CARL, "hello before"]);
		expect(hello.code, describeResult(hello)).toBe(0);
		const carlReads = await runCli(env, ["--profile", "carl", "--json", "receive", "--timeout", "0"]);
		expect(jsonLines(carlReads.stdout)).toContainEqual(
			expect.objectContaining({ type: "message", from: ANNA, text: "hello before" }),
		);

		const anna = new CliProcess(env, ["--profile", "anna"]);
		try {
			await anna.waitFor(/Connected to the relay\./);
			let mark = anna.stdout.length;
			// The same number registers from another install.
			await registerProfile(env, "anna-elsewhere", ANNA);
			await anna.waitFor(
				/The relay ended this session: the number was registered on another device, or this session was signed out\.\nType `register` to register this install again with the same number: it keeps its identity keys and contacts\./,
				mark,
			);
			expect(anna.stdout.slice(mark)).not.toMatch(/warning:/);

			// Signed out, nothing can be sent; the hint says what to do.
			mark = anna.stdout.length;
			anna.writeLine(`send ${CARL} too early`);
			await anna.waitFor(/This install is signed out, so nothing was sent\. Type `register`/, mark);

			mark = anna.stdout.length;
			anna.writeLine("register");
			await anna.waitFor(/Registering \+15555550181 again on this install: it keeps its identity keys/, mark);
			await anna.waitFor(/delivered the code by echo.*: [0-9]{6}/, mark);
			await anna.waitFor(
				/Verification code \(Enter to use the one shown · "new": send a new code[^)]*\): /,
				mark,
			);
			anna.writeLine("");
			await anna.waitFor(/Registered \+15555550181; your keys are published\./, mark);
			await anna.waitFor(/Signed in as \+15555550181 again/, mark);
			await anna.waitFor(/Connected to the relay\./, mark);

			mark = anna.stdout.length;
			anna.writeLine(`send ${CARL} hello after registering again`);
			await anna.waitFor(/✓ (sent|queued) .* — \+15555550182/, mark);
			anna.writeLine("quit");
			await anna.waitFor(/Disconnected\. Bye\./, mark);
			expect(await anna.exited).toBe(0);
		} finally {
			await anna.stop();
		}
		// The same identity key: Carl reads the message with no key-change warning.
		expect(await fingerprint("anna")).toBe(annaKey);
		const carlReadsAgain = await runCli(env, ["--profile", "carl", "--json", "receive", "--timeout", "0"]);
		const events = jsonLines(carlReadsAgain.stdout);
		expect(events).toContainEqual(
			expect.objectContaining({ type: "message", from: ANNA, text: "hello after registering again" }),
		);
		expect(events).not.toContainEqual(expect.objectContaining({ type: "identity_changed" }));
		// And the install that took the number over is the one signed out now.
		const elsewhere = await runCli(env, ["--profile", "anna-elsewhere", "send", CARL, "from elsewhere"]);
		expect(elsewhere.code, describeResult(elsewhere)).toBe(4);
	});

	it("started with a token the relay refuses, goes straight to registering again", async () => {
		await registerProfile(env, "zoe", ZOE);
		const zoeKey = await fingerprint("zoe");
		// Another install takes the number: zoe's stored token is revoked.
		await registerProfile(env, "zoe-elsewhere", ZOE);

		const zoe = new CliProcess(env, ["--profile", "zoe"]);
		try {
			await zoe.waitFor(/no longer accepts this install's session/);
			await zoe.waitFor(/Registering \+15555550183 again on this install/);
			await zoe.waitFor(/Verification code \(Enter to use the one shown · "new": send a new code[^)]*\): /);
			expect(zoe.stdout).not.toContain("Signed in as");
			zoe.writeLine("");
			await zoe.waitFor(/Registered \+15555550183; your keys are published\./);
			await zoe.waitFor(/Signed in as \+15555550183/);
			await zoe.waitFor(/Connected to the relay\./);
			zoe.writeLine("quit");
			expect(await zoe.exited).toBe(0);
		} finally {
			await zoe.stop();
		}
		expect(await fingerprint("zoe")).toBe(zoeKey);
	});
});
