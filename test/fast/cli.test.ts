// The `friendly` commands in process (support/cli.ts: the real program, Runtime with in-memory Io):
// usage errors and exit codes, --help, whoami / contacts / history on a profile directory prepared by
// a real session through the FakeRelay (the disk stores are the CLI's own), and verify's --accept /
// --reject. The process-level twins (the built executable against the real Worker) are
// test/cli/errors.test.ts, messaging.test.ts, key-change.test.ts and trust-lifecycle.test.ts.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportSend } from "../../client-cli/commands/send.ts";
import { CliContext, type Io } from "../../client-cli/context.ts";
import { CliError } from "../../client-cli/errors.ts";
import { EXIT_CODES } from "../../client-cli/exit-codes.ts";
import { dayHeading } from "../../client-cli/output/format.ts";
import { createDiskStores } from "../../client-cli/storage/index.ts";
import { ProfileFiles } from "../../client-cli/storage/profile-files.ts";
import { plainSealer } from "../../client-cli/storage/sealer.ts";
import packageJson from "../../package.json" with { type: "json" };
import type { MessengerStores } from "../../protocol/messenger/index.ts";
import { describeResult, friendly, jsonOf } from "./support/cli.ts";
import { FakeRelay } from "./support/fake-relay.ts";
import { lastStatus, online, received, registerUser } from "./support/fake-users.ts";

const ALICE = "+15555550401";
const BOB = "+15555550402";

let home: string;
let env: NodeJS.ProcessEnv;
let alice: MessengerStores;
let profileDirectory: string;
let helloId: string;

/** `friendly --profile alice …` with FRIENDLY_HOME pointing at the temp directory. */
function asAlice(...args: string[]) {
	return friendly(["--profile", "alice", ...args], { env });
}

beforeAll(async () => {
	home = await mkdtemp(join(tmpdir(), "friendly-fast-cli-"));
	env = { FRIENDLY_HOME: home };
	profileDirectory = join(home, "alice");
	await mkdir(profileDirectory, { recursive: true, mode: 0o700 });
	alice = createDiskStores(new ProfileFiles(profileDirectory, plainSealer));

	// A real session on Alice's disk profile: she writes to Bob, he answers; then Bob reinstalls and
	// writes from his new key, so Alice's profile holds a pending key change.
	const relay = new FakeRelay();
	const aliceUser = await registerUser(relay, ALICE, alice);
	const bob1 = await registerUser(relay, BOB);
	await online(aliceUser);
	await online(bob1);
	const hello = await aliceUser.messenger.send(BOB, "hello bob");
	helloId = hello.id;
	await aliceUser.until((events) => lastStatus(events, hello.id) === "delivered", "hello delivered");
	await bob1.messenger.send(ALICE, "hi alice");
	await aliceUser.until((events) => received(events).includes("hi alice"), "the answer at alice");
	bob1.messenger.stop();
	const bob2 = await registerUser(relay, BOB);
	await online(bob2);
	await bob2.messenger.send(ALICE, "new phone, same bob");
	await aliceUser.until((events) => events.some((e) => e.type === "identity_changed"), "the key change");
	bob2.messenger.stop();
	aliceUser.messenger.stop();
});

afterAll(async () => {
	if (home) await rm(home, { recursive: true, force: true });
});

describe("usage errors and exit codes", () => {
	it("unknown command, missing argument, unknown option → 2, with a hint", async () => {
		const unknown = await asAlice("fly");
		expect(unknown.code).toBe(EXIT_CODES.usage);
		expect(unknown.stderr).toContain('Unknown command "fly"');
		expect(unknown.stderr).toContain("hint: Commands: register, send, receive");
		const missing = await asAlice("send", BOB);
		expect(missing.code).toBe(EXIT_CODES.usage);
		expect(missing.stderr).toMatch(/missing required argument 'message'/);
		expect(missing.stderr).toContain("hint: see friendly send --help.");
		const global = await asAlice("history", BOB, "--jsn");
		expect(global.code).toBe(EXIT_CODES.usage);
		expect(global.stderr).toContain("unknown option '--jsn'");
		expect(global.stderr).toContain("hint: friendly history --help lists the options, global ones (--json,");
		const option = await friendly(["--json", "receive", "--forever"], { env });
		expect(option.code).toBe(EXIT_CODES.usage);
		expect(jsonOf(option)).toMatchObject({ ok: false, error: { code: "usage", exitCode: 2 } });
		const limit = await asAlice("history", BOB, "--limit", "lots");
		expect(limit.code).toBe(EXIT_CODES.usage);
		expect(limit.stderr).toContain("--limit takes a number");
	});

	it("invalid phone number, profile name, server URL and empty message → 2, saying how to fix it", async () => {
		const phone = await asAlice("history", "12");
		expect(phone.code, describeResult(phone)).toBe(EXIT_CODES.usage);
		expect(phone.stderr).toMatch(/error: .*phone/i);
		const profile = await friendly(["--profile", "../etc", "whoami"], { env });
		expect(profile.code).toBe(EXIT_CODES.usage);
		expect(profile.stderr).toContain("is not a valid profile name");
		const server = await asAlice("--server", "ftp://relay.example", "whoami");
		expect(server.code).toBe(EXIT_CODES.usage);
		expect(server.stderr).toContain("--server must be an http:// or https:// URL.");
		const fromEnv = await friendly(["--profile", "alice", "whoami"], {
			env: { ...env, FRIENDLY_SERVER: "not a url" },
		});
		expect(fromEnv.code).toBe(EXIT_CODES.usage);
		expect(fromEnv.stderr).toContain('FRIENDLY_SERVER "not a url" is not a URL.');
		const empty = await friendly(["--profile", "alice", "send", BOB, "-"], { env, stdin: "  \n" });
		expect(empty.code).toBe(EXIT_CODES.usage);
		expect(empty.stderr).toContain("The message is empty.");
		const interactiveJson = await friendly(["--profile", "alice", "--json"], { env });
		expect(interactiveJson.code).toBe(EXIT_CODES.usage);
		expect(jsonOf(interactiveJson)).toMatchObject({ ok: false, error: { code: "usage" } });
	});

	it("a profile that is not registered → 4, naming the command to run", async () => {
		const result = await friendly(["--profile", "stranger", "whoami"], { env });
		expect(result.code).toBe(EXIT_CODES.notRegistered);
		expect(result.stderr).toMatch(/profile \(stranger\) is not registered/);
		expect(result.stderr).toContain("Run `friendly --profile stranger register <phone>` first.");
		const json = await friendly(["--profile", "stranger", "--json", "contacts"], { env });
		expect(json.code).toBe(EXIT_CODES.notRegistered);
		expect(jsonOf(json)).toMatchObject({ ok: false, error: { exitCode: 4 } });
	});

	it("a relay that does not answer → 3, naming the URL; nothing is sent", async () => {
		const port = await closedPort();
		const dead = `http://127.0.0.1:${port}`;
		const result = await asAlice("--server", dead, "send", BOB, "hello?");
		expect(result.code, describeResult(result)).toBe(EXIT_CODES.serverUnreachable);
		expect(result.stderr).toContain(`Server unreachable at ${dead}`);
		expect((await alice.history.listEntries(BOB)).map((e) => e.text)).not.toContain("hello?");
	});
});

describe("help", () => {
	it("--help lists the commands, options and the exit code table; help <command> and <command> --help show its usage", async () => {
		const help = await friendly(["--help"], { env });
		expect(help.code).toBe(EXIT_CODES.ok);
		expect(help.stdout).toContain("Usage: friendly [options] [command]");
		for (const command of [
			"register",
			"send",
			"receive",
			"contacts",
			"verify",
			"history",
			"whoami",
			"export",
			"backup",
			"restore",
			"delete-account",
		])
			expect(help.stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
		expect(help.stdout).toMatch(/Exit codes:\n {3}0 {2}success/);
		expect(help.stdout).toContain("10  profile unavailable");
		const helpSend = await friendly(["help", "send"], { env });
		expect(helpSend.code).toBe(EXIT_CODES.ok);
		expect(helpSend.stdout).toContain("Usage: friendly send [options] <phone> <message>");
		const verifyHelp = await friendly(["verify", "--help"], { env });
		expect(verifyHelp.code).toBe(EXIT_CODES.ok);
		expect(verifyHelp.stdout).toContain("--accept");
		expect(verifyHelp.stdout).toContain("--reject");
		const version = await friendly(["--version"], { env });
		expect(version.code).toBe(EXIT_CODES.ok);
		expect(version.stdout.trim()).toBe(packageJson.version);
	});
});

describe("on a prepared profile", () => {
	it("export writes the conversation with its warning; delete-account without the typed number deletes nothing", async () => {
		const text = await asAlice("export", BOB);
		expect(text.code, describeResult(text)).toBe(EXIT_CODES.ok);
		expect(text.stdout).toMatch(/^# This file is NOT encrypted/);
		const json: unknown = JSON.parse((await asAlice("export", BOB, "--format", "json")).stdout);
		expect(json).toMatchObject({ kind: "friendly.export", me: ALICE, peer: BOB });
		const badFormat = await asAlice("export", BOB, "--format", "pdf");
		expect(badFormat.code).toBe(EXIT_CODES.usage);

		const wrong = await friendly(["--profile", "alice", "delete-account"], { env, stdin: `${BOB}\n` });
		expect(wrong.code, describeResult(wrong)).toBe(EXIT_CODES.usage);
		expect(wrong.stderr).toContain("not this profile's number; nothing was deleted");
		const none = await friendly(["--profile", "alice", "--json", "delete-account"], { env, stdin: "" });
		expect(none.code, describeResult(none)).toBe(EXIT_CODES.usage);
		expect(`${none.stdout}${none.stderr}`).toContain("deletion_not_confirmed");
		expect((await asAlice("whoami")).code).toBe(EXIT_CODES.ok);
	});

	it("whoami: number, relay, identity fingerprint and files — never the token", async () => {
		const token = (await alice.account.loadAccount())?.token ?? "";
		const human = await asAlice("whoami");
		expect(human.code, describeResult(human)).toBe(EXIT_CODES.ok);
		expect(human.stdout).toContain(`${ALICE} (profile alice)`);
		expect(human.stdout).toContain("relay:        http://relay.test");
		expect(human.stdout).toMatch(/identity key: [A-Za-z0-9_-]{16}\n/);
		expect(human.stdout).toContain(`files:        ${profileDirectory}\n`);
		const json = await asAlice("--json", "whoami");
		expect(jsonOf(json)).toMatchObject({
			ok: true,
			phone: ALICE,
			profile: "alice",
			relayUrl: "http://relay.test",
			directory: profileDirectory,
			passphraseProtected: false,
		});
		// --server wins over the stored relay.
		expect(jsonOf(await asAlice("--json", "--server", "https://other.example/", "whoami")).relayUrl).toBe(
			"https://other.example",
		);
		for (const result of [human, json]) expect(`${result.stdout}${result.stderr}`).not.toContain(token);
	});

	it("contacts: the conversation, its unread count and the pending key change", async () => {
		const human = await asAlice("contacts");
		expect(human.code, describeResult(human)).toBe(EXIT_CODES.ok);
		expect(human.stdout).toContain(BOB);
		expect(human.stdout).toContain("SAFETY NUMBER CHANGED");
		expect(human.stdout).toContain("1 unread");
		const json = await asAlice("--json", "contacts");
		expect(jsonOf(json)).toEqual({
			ok: true,
			contacts: [
				{
					phone: BOB,
					unread: 1,
					lastAt: expect.any(Number),
					lastText: "hi alice",
					verified: false,
					identityChanged: true,
				},
			],
		});
	});

	it("history: a date line, oldest first with each sent message's status, the key change marked; --limit; a stranger has none", async () => {
		const human = await asAlice("history", "+1 (555) 555-0402");
		expect(human.code, describeResult(human)).toBe(EXIT_CODES.ok);
		const lines = human.stdout.trim().split("\n");
		expect(lines).toHaveLength(4);
		expect(lines[0]).toBe(`── ${dayHeading(Date.now())} ──`);
		expect(lines[1]).toMatch(/^\d\d:\d\d you: hello bob \(delivered\)$/);
		expect(lines[2]).toMatch(new RegExp(`^\\d\\d:\\d\\d \\${BOB}: hi alice$`));
		expect(lines[3]).toMatch(/^\d\d:\d\d · Safety number changed: /);
		const json = jsonOf(await asAlice("--json", "history", BOB));
		expect(json).toMatchObject({
			ok: true,
			phone: BOB,
			messages: [
				{ id: helloId, direction: "out", text: "hello bob", status: "delivered" },
				{ direction: "in", text: "hi alice" },
				{ direction: "system", status: "received", system: { event: "safety_number_changed" } },
			],
		});
		const last = jsonOf(await asAlice("--json", "history", BOB, "--limit", "1"));
		expect(last.messages).toEqual([expect.objectContaining({ system: { event: "safety_number_changed" } })]);
		const none = await asAlice("history", "+15555550499");
		expect(none.stdout.trim()).toBe("No messages with +15555550499 yet.");
	});
});

describe("verify", () => {
	it("--accept with --reject → 2, before touching the profile; a bad number or option → 2", async () => {
		const both = await asAlice("verify", BOB, "--accept", "--reject");
		expect(both.code).toBe(EXIT_CODES.usage);
		expect(both.stderr).toContain("--accept and --reject cannot be used together.");
		expect(both.stderr).toContain("hint: Compare the safety number first");
		const json = await asAlice("--json", "verify", BOB, "--reject", "--accept");
		expect(jsonOf(json)).toMatchObject({ ok: false, error: { code: "usage", exitCode: 2 } });
		const phone = await asAlice("verify", "not-a-phone", "--accept");
		expect(phone.code).toBe(EXIT_CODES.usage);
		const typo = await asAlice("verify", BOB, "--acept");
		expect(typo.code).toBe(EXIT_CODES.usage);
		expect(typo.stderr).toContain("unknown option '--acept'");
		const missing = await asAlice("verify", "--accept");
		expect(missing.code).toBe(EXIT_CODES.usage);
		expect(missing.stderr).toMatch(/missing required argument 'phone'/);
		// Nothing was decided by any of these.
		expect((await alice.contacts.loadContact(BOB))?.pendingIdentityChange).toBeDefined();
	});

	it("shows the NEW safety number of a changed key; --reject keeps the old key; --accept takes the new one", async () => {
		const shown = await asAlice("verify", BOB);
		expect(shown.code, describeResult(shown)).toBe(EXIT_CODES.ok);
		expect(shown.stdout).toContain(`SAFETY NUMBER CHANGED for ${BOB}`);
		expect(shown.stdout).toContain("Their NEW safety number");
		expect(shown.stdout).toContain(`friendly verify ${BOB} --accept`);
		const pinned = await alice.identities.loadTrustedIdentity(BOB);

		const rejected = await asAlice("--json", "verify", BOB, "--reject");
		expect(rejected.code, describeResult(rejected)).toBe(EXIT_CODES.ok);
		expect(jsonOf(rejected)).toMatchObject({
			ok: true,
			pendingIdentityChange: false,
			rejected: true,
			accepted: false,
			rejectedIdentityChange: true,
		});
		const afterReject = await alice.contacts.loadContact(BOB);
		expect(afterReject?.pendingIdentityChange).toBeUndefined();
		expect(afterReject?.rejectedIdentityChange).toBeDefined();
		expect((await alice.identities.loadTrustedIdentity(BOB))?.signingKey).toEqual(pinned?.signingKey);

		const accepted = await asAlice("verify", BOB, "--accept");
		expect(accepted.code, describeResult(accepted)).toBe(EXIT_CODES.ok);
		expect(accepted.stdout).toContain(`Accepted the new identity key of ${BOB}.`);
		const afterAccept = await alice.contacts.loadContact(BOB);
		expect(afterAccept?.pendingIdentityChange).toBeUndefined();
		expect(afterAccept?.rejectedIdentityChange).toBeUndefined();
		expect((await alice.identities.loadTrustedIdentity(BOB))?.signingKey).not.toEqual(pinned?.signingKey);
	});
});

/** A local port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	const port = typeof address === "object" && address ? address.port : 0;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

describe("name", () => {
	it("names a contact (local only), shown in contacts and history; clears it; refuses bad names → 2", async () => {
		const named = await asAlice("name", BOB, "Bob", "the", "Builder");
		expect(named.code, describeResult(named)).toBe(EXIT_CODES.ok);
		expect(named.stdout).toContain(`${BOB} is now shown as "Bob the Builder".`);
		expect((await alice.contacts.loadContact(BOB))?.name).toBe("Bob the Builder");
		const contacts = await asAlice("contacts");
		expect(contacts.stdout).toContain(`Bob the Builder (${BOB})`);
		expect(jsonOf(await asAlice("--json", "contacts"))).toMatchObject({
			contacts: [{ phone: BOB, name: "Bob the Builder" }],
		});
		const history = await asAlice("history", BOB);
		expect(history.stdout).toMatch(/^\d\d:\d\d Bob the Builder: hi alice$/m);
		expect(jsonOf(await asAlice("--json", "history", BOB))).toMatchObject({
			phone: BOB,
			name: "Bob the Builder",
		});

		// A contact can be named before any message.
		const stranger = await asAlice("--json", "name", "+1 555 555 0488", "Carol");
		expect(jsonOf(stranger)).toEqual({ ok: true, phone: "+15555550488", name: "Carol" });

		const tooLong = await asAlice("name", BOB, "x".repeat(65));
		expect(tooLong.code).toBe(EXIT_CODES.usage);
		expect(tooLong.stderr).toContain("A name is 1 to 64 characters");
		const neither = await asAlice("name", BOB);
		expect(neither.code).toBe(EXIT_CODES.usage);
		expect(neither.stderr).toContain("Give the name, or --clear to remove it.");

		const cleared = await asAlice("--json", "name", BOB, "--clear");
		expect(jsonOf(cleared)).toEqual({ ok: true, phone: BOB, name: null });
		expect((await alice.contacts.loadContact(BOB))?.name).toBeUndefined();
		expect((await asAlice("contacts")).stdout).not.toContain("Bob the Builder");
	});
});

describe("send outcome", () => {
	it("a send the relay did not confirm is exit 3 `not_confirmed` with its id, kept for the next run (never 'sent')", async () => {
		const io = {
			stdin: process.stdin,
			stdout: process.stdout,
			stderr: process.stderr,
			env: { FRIENDLY_HOME: home, FRIENDLY_SERVER: "http://127.0.0.1:9" },
		} as Io;
		const context = new CliContext({ profile: "alice", json: true }, io);
		const unconfirmed = {
			v: 1 as const,
			peer: BOB,
			id: "still-trying",
			direction: "out" as const,
			text: "x",
			at: Date.now(),
			status: "sending" as const,
		};
		const error = await reportSend(context, alice, unconfirmed).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(CliError);
		expect(error).toMatchObject({
			exitCode: EXIT_CODES.serverUnreachable,
			code: "not_confirmed",
			details: { id: "still-trying", peer: BOB },
		});
		expect((error as CliError).hint).toContain("sends it again under the same id the next time it connects");
	});
});
