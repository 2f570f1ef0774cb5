// The real `friendly` process killed at each file-write boundary of receiving a first message, on its
// real disk stores (issue 11, "pin before session"). The test-only hook in
// client-cli/storage/profile-files.ts (FRIENDLY_FAULT_AFTER_WRITES=N) makes Bob's `receive` exit with
// 137 right after its Nth profile-file write, i.e. as if killed between write N and N+1. Then a normal
// `receive` runs on what is on disk. For every N: the profile never holds a session with Alice without
// her pinned key; after the restart Bob's history has the message exactly once and Bob's runs printed
// it once; Alice (a Messenger on the same relay) sees it delivered, and Bob's reply decrypts at Alice.
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessengerEvent } from "../../protocol/messenger/index.ts";
import { type Device, registerDevice, shown } from "../support/adversary-users.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	CliProcess,
	createCliEnvironment,
	describe as describeResult,
	jsonEvents,
	jsonLines,
	registerProfile,
	runCli,
} from "./support/cli.ts";

/** Bob's file writes for a first message, in order (file kinds; the phone and key id vary). */
const BOUNDARIES = [
	"write history/",
	"write contacts/",
	"write trusted/",
	"write sessions/",
	// Suite 2: the one-time KEM prekey the setup used, then the one-time prekey.
	"remove prekeys/kem-",
	"remove prekeys/one-time-",
];

let relay: RunningRelay;
let env: CliEnvironment;
let phones = 0;

beforeAll(async () => {
	relay = await startRelay();
	env = await createCliEnvironment(relay.url);
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

function nextPhone(): string {
	phones += 1;
	return `+1555555${String(6200 + phones)}`;
}

async function exists(path: string): Promise<boolean> {
	return access(path).then(
		() => true,
		() => false,
	);
}

function statusOf(events: MessengerEvent[], id: string): string | undefined {
	let status: string | undefined;
	for (const event of events) if (event.type === "status" && event.id === id) status = event.status;
	return status;
}

function printedTexts(stdout: string): unknown[] {
	return jsonEvents(stdout, "message").map((line) => line.text);
}

interface Setup {
	alice: Device;
	bob: string;
	profile: string;
	directory: string;
	log: string;
}

async function setup(): Promise<Setup> {
	const bob = nextPhone();
	const profile = `bob-${bob.slice(-4)}`;
	const [alice] = await Promise.all([
		registerDevice(relay.url, nextPhone()),
		registerProfile(env, profile, bob),
	]);
	alice.messenger.start();
	await alice.messenger.waitForDrain();
	const directory = join(env.home, profile);
	return { alice, bob, profile, directory, log: join(directory, "..", `${profile}.writes`) };
}

/**
 * Bob's `receive`, connected and idle before Alice writes, with the hook's write log (and the crash
 * after write `crashAfter`, if given); Alice's first message then arrives live. Returns the process.
 */
async function receiveWhileAliceWrites(s: Setup, crashAfter?: number) {
	const bob = new CliProcess(env, ["--profile", s.profile, "--json", "receive", "--timeout", "30"], {
		env: {
			FRIENDLY_FAULT_WRITE_LOG: s.log,
			...(crashAfter !== undefined ? { FRIENDLY_FAULT_AFTER_WRITES: String(crashAfter) } : {}),
		},
	});
	await bob.waitFor(/"type":"drained"/);
	const sent = await s.alice.messenger.send(s.bob, "first contact");
	return { bob, sent };
}

async function writes(s: Setup): Promise<string[]> {
	const text = await readFile(s.log, "utf8").catch(() => "");
	return text.split("\n").filter((line) => line !== "");
}

/** The on-disk invariant: a session file for Alice implies her pinned identity file. */
async function sessionWithoutPin(s: Setup): Promise<boolean> {
	const session = await exists(join(s.directory, "sessions", `${s.alice.phone}.json`));
	const pinned = await exists(join(s.directory, "trusted", `${s.alice.phone}.json`));
	return session && !pinned;
}

async function usedOneTimePrekey(s: Setup): Promise<number> {
	const id = (await s.alice.stores.sessions.loadSessionRecord(s.bob))?.sessions[0]?.pendingPrekey
		?.oneTimePrekeyId;
	if (id === undefined) throw new Error("Alice's first message used no one-time prekey");
	return id;
}

function kinds(lines: string[], phone: string): string[] {
	return lines.map((line) =>
		line
			.replace(`${phone}.json`, "")
			.replace(/one-time-[0-9]+\.json$/, "one-time-")
			.replace(/kem-[0-9]+\.json$/, "kem-"),
	);
}

describe("the CLI killed while receiving a first message", () => {
	it(`writes ${BOUNDARIES.join(", ")} in this order`, async () => {
		const s = await setup();
		const { bob, sent } = await receiveWhileAliceWrites(s);
		await bob.waitFor(/"text":"first contact"/);
		await s.alice.until((events) => statusOf(events, sent.id) === "delivered", "delivered");
		bob.child.kill("SIGTERM");
		expect(await bob.exited).toBe(0);
		expect(kinds((await writes(s)).slice(0, BOUNDARIES.length), s.alice.phone)).toEqual(BOUNDARIES);
		s.alice.messenger.stop();
	});

	// One after another: five concurrent CLI crash-and-restart flows overload a 2-core machine running
	// other test files in parallel.
	it.for(BOUNDARIES.map((boundary, index) => ({ n: index + 1, boundary })))(
		"recovers when killed right after write $n ($boundary)",
		{ timeout: 90_000 },
		async ({ n }) => {
			const s = await setup();
			const { bob, sent } = await receiveWhileAliceWrites(s, n);
			expect(await bob.exited, bob.transcript()).toBe(137);
			expect(kinds(await writes(s), s.alice.phone)).toEqual(BOUNDARIES.slice(0, n));
			expect(await sessionWithoutPin(s), "a session on disk without the pin").toBe(false);
			expect(statusOf(s.alice.events, sent.id)).not.toBe("delivered");
			const usedPrekey = await usedOneTimePrekey(s);

			// The restart on what is on disk (the crashed process's lock is stale).
			const restart = await runCli(env, ["--profile", s.profile, "--json", "receive", "--timeout", "0"]);
			expect(restart.code, describeResult(restart)).toBe(0);
			await s.alice.until(
				(events) => statusOf(events, sent.id) === "delivered",
				"delivered after the restart",
			);
			expect(await sessionWithoutPin(s)).toBe(false);
			const printed = [...printedTexts(bob.stdout), ...printedTexts(restart.stdout)];
			expect(printed, "printed by Bob's runs").toEqual(["first contact"]);
			const history = await runCli(env, ["--profile", s.profile, "--json", "history", s.alice.phone]);
			expect(jsonLines(history.stdout)).toEqual([
				expect.objectContaining({
					messages: [expect.objectContaining({ direction: "in", text: "first contact", at: sent.at })],
				}),
			]);
			const contacts = await runCli(env, ["--profile", s.profile, "--json", "contacts"]);
			expect(jsonLines(contacts.stdout)[0], "Alice in Bob's contact list").toMatchObject({
				contacts: [expect.objectContaining({ phone: s.alice.phone, lastText: "first contact" })],
			});
			expect(
				await exists(join(s.directory, "prekeys", `one-time-${usedPrekey}.json`)),
				`one-time prekey ${usedPrekey} still on disk`,
			).toBe(false);

			// Bob's reply decrypts at Alice.
			const reply = await runCli(env, ["--profile", s.profile, "--json", "send", s.alice.phone, "reply"]);
			expect(reply.code, describeResult(reply)).toBe(0);
			await s.alice.until((events) => shown(events).includes("reply"), "the reply at alice");
			expect(s.alice.events.filter((e) => e.type === "problem")).toEqual([]);
			s.alice.messenger.stop();
		},
	);
});
