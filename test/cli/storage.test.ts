// The CLI's on-disk stores and its pure parts: atomic owner-only files, passphrase sealing (wrong
// passphrase refused, files unreadable without it, sealed files bound to their names), the interactive
// command parser — and a passphrase-protected profile end to end through real `friendly` processes on
// the real relay. The profile lock has its own file (profile-lock.test.ts).
import { copyFile, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../../client-cli/exit-codes.ts";
import { parseLine } from "../../client-cli/interactive/parse-command.ts";
import { writeFileAtomic } from "../../client-cli/storage/atomic-file.ts";
import { createDiskStores } from "../../client-cli/storage/index.ts";
import { ProfileFiles } from "../../client-cli/storage/profile-files.ts";
import { createPassphraseSealer, plainSealer, unlockSealer } from "../../client-cli/storage/sealer.ts";
import {
	createLocalIdentity,
	createProtocolContext,
	generateOneTimePrekeys,
	manualClock,
	ONE_TIME_PREKEY_GONE_RETENTION_MS,
	pruneOneTimePrekeys,
	publicIdentity,
} from "../../protocol/session/index.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	createCliEnvironment,
	describe as describeResult,
	jsonOutput,
	runCli,
} from "./support/cli.ts";

let scratch: string;

beforeAll(async () => {
	scratch = await mkdtemp(join(tmpdir(), "friendly-cli-storage-"));
});
afterAll(async () => {
	await rm(scratch, { recursive: true, force: true });
});

describe("profile files", () => {
	it("writes atomically with 0600 files in 0700 directories and leaves no temporary files", async () => {
		const path = join(scratch, "atomic", "nested", "file.json");
		await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(path, JSON.stringify({ i }))));
		expect(JSON.parse(await readFile(path, "utf8"))).toHaveProperty("i");
		expect((await stat(path)).mode & 0o777).toBe(0o600);
		expect((await stat(join(scratch, "atomic", "nested"))).mode & 0o777).toBe(0o700);
		expect(await readdir(join(scratch, "atomic", "nested"))).toEqual(["file.json"]);
	});

	it("stores and reloads a real identity through the protocol's serialisers", async () => {
		const stores = createDiskStores(new ProfileFiles(join(scratch, "identity"), plainSealer));
		expect(await stores.identities.loadLocalIdentity()).toBeUndefined();
		const identity = await createLocalIdentity({ extractable: true });
		await stores.identities.storeLocalIdentity(identity);
		const loaded = await stores.identities.loadLocalIdentity();
		expect(loaded && publicIdentity(loaded)).toEqual(publicIdentity(identity));
	});

	it("reports a damaged file by name", async () => {
		const directory = join(scratch, "damaged");
		const stores = createDiskStores(new ProfileFiles(directory, plainSealer));
		await writeFileAtomic(join(directory, "account.json"), "{not json");
		await expect(stores.account.loadAccount()).rejects.toMatchObject({
			code: "damaged_state",
			exitCode: EXIT_CODES.profileUnavailable,
			message: expect.stringContaining("account.json"),
		});
	});
});

describe("one-time prekeys on disk", () => {
	it("keeps goneSince across a reload, loads records written before it, and never re-creates a used key", async () => {
		const directory = join(scratch, "one-time-prekeys");
		const stores = createDiskStores(new ProfileFiles(directory, plainSealer));
		const identity = await createLocalIdentity({ extractable: true });
		await stores.identities.storeLocalIdentity(identity);
		const { records } = await generateOneTimePrekeys(identity, 1, 4, 1_000);
		await stores.prekeys.storeOneTimePrekeys(records);
		// Written as before pruning existed: no goneSince while the relay holds the key.
		expect(await readFile(join(directory, "prekeys", "one-time-2.json"), "utf8")).not.toContain("goneSince");
		const clock = manualClock(10_000);
		const phone = "+15555550170";
		// The relay lists 3 and 4 (1 and 2 were handed out); meanwhile a message uses key 1.
		await Promise.all([
			pruneOneTimePrekeys(createProtocolContext({ phone, stores, clock }), [3, 4]),
			stores.prekeys.removeOneTimePrekey(1),
		]);
		expect(await stores.prekeys.loadOneTimePrekey(1)).toBeUndefined();
		const reopened = createDiskStores(new ProfileFiles(directory, plainSealer));
		expect((await reopened.prekeys.loadOneTimePrekey(2))?.goneSince).toBe(10_000);
		const states = await reopened.prekeys.listOneTimePrekeyStates();
		expect([...states].sort((a, b) => a.keyId - b.keyId)).toEqual([
			{ keyId: 2, goneSince: 10_000 },
			{ keyId: 3 },
			{ keyId: 4 },
		]);
		clock.advance(ONE_TIME_PREKEY_GONE_RETENTION_MS);
		await pruneOneTimePrekeys(createProtocolContext({ phone, stores: reopened, clock }), [3, 4]);
		expect((await readdir(join(directory, "prekeys"))).sort()).toEqual([
			"one-time-3.json",
			"one-time-4.json",
		]);
	});
});

describe("passphrase sealing", () => {
	it("encrypts every file, refuses a wrong passphrase, and binds each sealed file to its name", async () => {
		const directory = join(scratch, "sealed");
		const sealer = await createPassphraseSealer(directory, "correct horse battery staple");
		const stores = createDiskStores(new ProfileFiles(directory, sealer));
		const identity = await createLocalIdentity({ extractable: true });
		await stores.identities.storeLocalIdentity(identity);
		await stores.account.storeAccount({
			v: 1,
			phone: "+15555550161",
			token: "15555550161.secret-token-value-for-the-test",
			relayUrl: "http://127.0.0.1:8787",
			registeredAt: 1,
		});
		const raw = await readFile(join(directory, "identity.json"), "utf8");
		expect(raw).not.toContain("local-identity");
		expect(await readFile(join(directory, "account.json"), "utf8")).not.toContain("secret-token");

		await expect(unlockSealer(directory, "wrong passphrase")).rejects.toMatchObject({
			code: "wrong_passphrase",
		});
		const reopened = createDiskStores(
			new ProfileFiles(directory, await unlockSealer(directory, "correct horse battery staple")),
		);
		const loaded = await reopened.identities.loadLocalIdentity();
		expect(loaded && publicIdentity(loaded)).toEqual(publicIdentity(identity));
		expect((await reopened.account.loadAccount())?.phone).toBe("+15555550161");

		// Without the passphrase the files are refused, not misread.
		await expect(
			createDiskStores(new ProfileFiles(directory, plainSealer)).account.loadAccount(),
		).rejects.toMatchObject({ code: "passphrase_required" });
		// A sealed file copied over another one does not open under the other's name.
		await copyFile(join(directory, "account.json"), join(directory, "identity.json"));
		await expect(reopened.identities.loadLocalIdentity()).rejects.toMatchObject({ code: "damaged_state" });
	});

	it("refuses a short passphrase", async () => {
		await expect(createPassphraseSealer(join(scratch, "short"), "short")).rejects.toMatchObject({
			code: "weak_passphrase",
		});
	});
});

describe("interactive command parser", () => {
	it.each([
		["", false, { kind: "empty" }],
		["help", false, { kind: "command", name: "help" }],
		["/quit", true, { kind: "command", name: "quit" }],
		["exit", false, { kind: "command", name: "quit" }],
		["chat +1 555 555 0100", false, { kind: "command", name: "chat", phone: "+1 555 555 0100" }],
		["chat", false, { kind: "usage", message: "chat needs a phone number." }],
		["chat bob", false, { kind: "usage" }],
		["chat +15555550100 extra", false, { kind: "usage" }],
		[
			"send +1 (555) 555-0100 hi  there",
			false,
			{ kind: "command", name: "send", phone: "+1 (555) 555-0100", rest: "hi  there" },
		],
		["send +15555550100", false, { kind: "usage", message: "send needs a message after the phone number." }],
		["verify +15555550100 accept", false, { kind: "command", name: "verify" }],
		["verify +15555550100 --bogus", false, { kind: "usage" }],
		["hello there", false, { kind: "unknown", word: "hello" }],
		["hello there", true, { kind: "text", text: "hello there" }],
		[" help me", true, { kind: "text", text: "help me" }],
		["/hello", true, { kind: "unknown", word: "/hello" }],
		["register", false, { kind: "command", name: "register" }],
		["register +15555550100", false, { kind: "usage" }],
	])("%j (conversation open: %s)", (line, open, expected) => {
		expect(parseLine(line, open)).toMatchObject(expected);
	});

	it("reads verify's flags", () => {
		const parsed = parseLine("verify +15555550100 accept mark-verified", false);
		expect(parsed.kind === "command" && [...parsed.flags].sort()).toEqual(["accept", "mark-verified"]);
	});
});

describe("a passphrase-protected profile, end to end", () => {
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

	it("registers with --passphrase and then needs it", async () => {
		const passphrase = { FRIENDLY_PASSPHRASE: "a long enough passphrase" };
		const requested = await runCli(env, ["--profile", "safe", "--json", "register", "+15555550162"]);
		const code = String(jsonOutput(requested).code);
		const registered = await runCli(
			env,
			["--profile", "safe", "register", "+15555550162", "--code", code, "--passphrase"],
			{
				env: passphrase,
			},
		);
		expect(registered.code, describeResult(registered)).toBe(0);

		const withIt = await runCli(env, ["--profile", "safe", "--json", "whoami"], { env: passphrase });
		expect(withIt.code, describeResult(withIt)).toBe(0);
		expect(jsonOutput(withIt)).toMatchObject({ phone: "+15555550162", passphraseProtected: true });

		const without = await runCli(env, ["--profile", "safe", "whoami"]);
		expect(without.code).toBe(EXIT_CODES.profileUnavailable);
		expect(without.stderr).toMatch(/passphrase-protected[\s\S]*FRIENDLY_PASSPHRASE/);
		const wrong = await runCli(env, ["--profile", "safe", "whoami"], {
			env: { FRIENDLY_PASSPHRASE: "not the one at all" },
		});
		expect(wrong.code).toBe(EXIT_CODES.profileUnavailable);
		expect(wrong.stderr).toContain("Wrong passphrase");

		const identityFile = await readFile(join(env.home, "safe", "identity.json"), "utf8");
		expect(identityFile).toContain("friendly.sealed");
	});
});
