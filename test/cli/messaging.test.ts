// Two users on the real relay with real `friendly` processes: register (echo delivery), message both
// ways, receive what arrived while offline (in order, once), listen while messages arrive, and find the
// conversation in contacts / history / whoami. Also checks the profile's files are owner-only.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	CliProcess,
	createCliEnvironment,
	describe as describeResult,
	jsonEvents,
	jsonLines,
	jsonOutput,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const ALICE = "+15555550111";
const BOB = "+15555550112";

let relay: RunningRelay;
let env: CliEnvironment;

beforeAll(async () => {
	relay = await startRelay();
	env = await createCliEnvironment(relay.url);
	await registerProfile(env, "alice", ALICE);
	await registerProfile(env, "bob", "+1 (555) 555-0112");
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

function messages(stdout: string): Record<string, unknown>[] {
	return jsonEvents(stdout, "message");
}

describe("friendly send / receive between two registered profiles", () => {
	it("chats both ways: queued while offline, received, answered from stdin, receipt back", async () => {
		const sent = await runCli(env, ["--profile", "alice", "--json", "send", BOB, "Hi Bob, it's Alice"]);
		expect(sent.code, describeResult(sent)).toBe(0);
		expect(jsonOutput(sent)).toMatchObject({ ok: true, peer: BOB, direction: "out", status: "queued" });

		const bobReceives = await runCli(env, ["--profile", "bob", "--json", "receive", "--timeout", "0"]);
		expect(bobReceives.code, describeResult(bobReceives)).toBe(0);
		expect(messages(bobReceives.stdout)).toEqual([
			expect.objectContaining({ type: "message", from: ALICE, text: "Hi Bob, it's Alice" }),
		]);

		const reply = await runCli(env, ["--profile", "bob", "--json", "send", ALICE, "-"], {
			input: "Hello Alice!\nTwo lines from stdin.\n",
		});
		expect(reply.code, describeResult(reply)).toBe(0);

		const aliceReceives = await runCli(env, ["--profile", "alice", "--json", "receive", "--timeout", "0"]);
		expect(aliceReceives.code, describeResult(aliceReceives)).toBe(0);
		const lines = jsonLines(aliceReceives.stdout);
		expect(lines).toContainEqual(
			expect.objectContaining({ type: "message", from: BOB, text: "Hello Alice!\nTwo lines from stdin." }),
		);
		// Bob's receive acknowledged Alice's message: the relay's receipt reaches her.
		expect(lines).toContainEqual(expect.objectContaining({ type: "status", peer: BOB, status: "delivered" }));
		expect(lines.at(-1)).toMatchObject({ type: "drained" });
	});

	it("prints in human form without --json", async () => {
		const sent = await runCli(env, ["--profile", "alice", "send", "+1 555 555 0112", "plain output please"]);
		expect(sent.code, describeResult(sent)).toBe(0);
		expect(sent.stdout).toMatch(/queued .*\+15555550112/);
		const received = await runCli(env, ["--profile", "bob", "receive", "--timeout", "0"]);
		expect(received.code, describeResult(received)).toBe(0);
		expect(received.stdout).toMatch(/\+15555550111: plain output please/);
		expect(received.stderr).toMatch(/1 message received/);
	});

	it("delivers everything sent while the recipient was offline, in order, exactly once", async () => {
		for (const text of ["one", "two", "three"]) {
			const sent = await runCli(env, ["--profile", "bob", "--json", "send", ALICE, text]);
			expect(sent.code, describeResult(sent)).toBe(0);
		}
		const first = await runCli(env, ["--profile", "alice", "--json", "receive", "--timeout", "0"]);
		expect(first.code, describeResult(first)).toBe(0);
		expect(messages(first.stdout).map((line) => line.text)).toEqual(["one", "two", "three"]);
		const again = await runCli(env, ["--profile", "alice", "--json", "receive", "--timeout", "0"]);
		expect(messages(again.stdout)).toEqual([]);
	});

	it("keeps listening and prints messages as they arrive", async () => {
		const listener = new CliProcess(env, ["--profile", "alice", "--json", "receive"]);
		try {
			await listener.waitFor(/"type":"drained"/);
			const sent = await runCli(env, ["--profile", "bob", "--json", "send", ALICE, "live while listening"]);
			expect(sent.code, describeResult(sent)).toBe(0);
			expect(jsonOutput(sent).status).toBe("sent");
			await listener.waitFor(/"text":"live while listening"/);
			listener.child.kill("SIGINT");
			expect(await listener.exited).toBe(0);
		} finally {
			await listener.stop();
		}
	});

	it("shows the conversation in contacts, history and whoami (never the token)", async () => {
		const contacts = await runCli(env, ["--profile", "alice", "--json", "contacts"]);
		expect(contacts.code, describeResult(contacts)).toBe(0);
		expect(jsonOutput(contacts).contacts).toEqual([
			expect.objectContaining({ phone: BOB, verified: false, identityChanged: false }),
		]);

		const history = await runCli(env, ["--profile", "alice", "--json", "history", BOB]);
		expect(history.code, describeResult(history)).toBe(0);
		const entries = jsonOutput(history).messages;
		expect(entries).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ direction: "out", text: "Hi Bob, it's Alice", status: "delivered" }),
				expect.objectContaining({ direction: "in", text: "three", status: "received" }),
			]),
		);

		const whoami = await runCli(env, ["--profile", "alice", "--json", "whoami"]);
		expect(whoami.code, describeResult(whoami)).toBe(0);
		expect(jsonOutput(whoami)).toMatchObject({
			ok: true,
			phone: ALICE,
			relayUrl: relay.url,
			profile: "alice",
		});
		const humanWhoami = await runCli(env, ["--profile", "alice", "whoami"]);
		expect(humanWhoami.stdout).toContain(ALICE);
		for (const output of [whoami.stdout, humanWhoami.stdout, contacts.stdout, history.stdout]) {
			expect(output).not.toMatch(/15555550111\.[A-Za-z0-9_-]{20,}/);
		}
	});

	it("stores the profile in owner-only files (0700 directories, 0600 files, no temporary leftovers)", async () => {
		const seen: string[] = [];
		const walk = async (directory: string): Promise<void> => {
			expect((await stat(directory)).mode & 0o777, directory).toBe(0o700);
			for (const entry of await readdir(directory, { withFileTypes: true })) {
				const path = join(directory, entry.name);
				if (entry.isDirectory()) await walk(path);
				else {
					seen.push(entry.name);
					expect((await stat(path)).mode & 0o777, path).toBe(0o600);
				}
			}
		};
		await walk(join(env.home, "alice"));
		expect(seen).toEqual(expect.arrayContaining(["account.json", "identity.json", `${BOB}.json`]));
		expect(seen.filter((name) => name.endsWith(".tmp") || name === "lock")).toEqual([]);
	});
});
