// A contact's identity key changes (Bob registers his number again from a new install: a new identity).
// Alice's client shows it prominently, holds Bob's new messages, and refuses to send to him (exit 7)
// until she compares the new safety number (the same digits on both sides) and accepts it; then
// messages flow again both ways. Bob's old install is signed out (exit 4).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../../client-cli/exit-codes.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	type CliResult,
	createCliEnvironment,
	describe as describeResult,
	jsonEvents,
	jsonLines,
	jsonOutput,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const ALICE = "+15555550131";
const BOB = "+15555550132";

let relay: RunningRelay;
let env: CliEnvironment;

beforeAll(async () => {
	relay = await startRelay();
	env = await createCliEnvironment(relay.url);
	await registerProfile(env, "alice", ALICE);
	await registerProfile(env, "bob", BOB);
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

async function ok(args: string[]) {
	const result = await runCli(env, args);
	expect(result.code, describeResult(result)).toBe(0);
	return result;
}

function texts(stdout: string): unknown[] {
	return jsonEvents(stdout, "message").map((line) => line.text);
}

describe("a contact's identity key changes", () => {
	it("is surfaced, blocks sending until accepted, then messages flow again", async () => {
		// An established conversation, both ways.
		await ok(["--profile", "alice", "send", BOB, "before the change"]);
		expect(texts((await ok(["--profile", "bob", "--json", "receive", "--timeout", "0"])).stdout)).toEqual([
			"before the change",
		]);
		await ok(["--profile", "bob", "send", ALICE, "hi Alice"]);
		expect(texts((await ok(["--profile", "alice", "--json", "receive", "--timeout", "0"])).stdout)).toEqual([
			"hi Alice",
		]);

		// Bob reinstalls: the same number registered again with a new identity, and writes to Alice.
		await registerProfile(env, "bob-new", BOB);
		await ok(["--profile", "bob-new", "send", ALICE, "new phone, same Bob"]);

		// Alice's client shows the change and holds the message.
		const warned = await ok(["--profile", "alice", "--json", "receive", "--timeout", "0"]);
		expect(jsonLines(warned.stdout)).toContainEqual({
			type: "identity_changed",
			phone: BOB,
			previouslyVerified: false,
		});
		expect(texts(warned.stdout)).toEqual([]);

		// Sending to Bob is blocked, with what to do.
		const blocked = await runCli(env, ["--profile", "alice", "send", BOB, "are you really Bob?"]);
		expect(blocked.code, describeResult(blocked)).toBe(EXIT_CODES.untrustedIdentity);
		expect(blocked.stderr).toContain(`The safety number with ${BOB} changed`);
		expect(blocked.stderr).toContain(`friendly verify ${BOB} --accept`);
		const contacts = await ok(["--profile", "alice", "--json", "contacts"]);
		expect(jsonOutput(contacts).contacts).toContainEqual(
			expect.objectContaining({ phone: BOB, identityChanged: true }),
		);
		const listed = await ok(["--profile", "alice", "contacts"]);
		expect(listed.stdout).toContain("SAFETY NUMBER CHANGED");

		// Both sides see the same new safety number.
		const pending = await ok(["--profile", "alice", "--json", "verify", BOB]);
		expect(jsonOutput(pending)).toMatchObject({ pendingIdentityChange: true, accepted: false });
		const bobSide = await ok(["--profile", "bob-new", "--json", "verify", ALICE]);
		const digits = (result: CliResult) => JSON.stringify(jsonOutput(result).safetyNumber);
		expect(digits(pending)).toBe(digits(bobSide));
		const pendingHuman = await ok(["--profile", "alice", "verify", BOB]);
		expect(pendingHuman.stdout).toContain(`SAFETY NUMBER CHANGED for ${BOB}`);
		expect(pendingHuman.stdout).toContain(`friendly verify ${BOB} --accept`);

		// Accepting unblocks sending and releases the held message.
		const accepted = await ok(["--profile", "alice", "--json", "verify", BOB, "--accept"]);
		expect(jsonOutput(accepted)).toMatchObject({
			accepted: true,
			pendingIdentityChange: false,
			verified: false,
		});
		expect(digits(accepted)).toBe(digits(bobSide));
		await ok(["--profile", "alice", "send", BOB, "welcome back"]);
		expect(texts((await ok(["--profile", "alice", "--json", "receive", "--timeout", "0"])).stdout)).toEqual([
			"new phone, same Bob",
		]);
		expect(texts((await ok(["--profile", "bob-new", "--json", "receive", "--timeout", "0"])).stdout)).toEqual(
			["welcome back"],
		);

		// Marking verified is remembered.
		const verified = await ok(["--profile", "alice", "--json", "verify", BOB, "--mark-verified"]);
		expect(jsonOutput(verified)).toMatchObject({ verified: true });

		// Bob's old install lost its session at the relay.
		const old = await runCli(env, ["--profile", "bob", "receive", "--timeout", "0"]);
		expect(old.code, describeResult(old)).toBe(EXIT_CODES.notRegistered);
		expect(old.stderr).toMatch(/register/);
	});
});
