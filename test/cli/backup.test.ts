// Backup and restore (issue 15) with real `friendly` processes on the real relay: a backup written
// atomically with its recovery key shown once; restored into a fresh profile (history and names back,
// the verified contact flagged to verify again), restored twice without duplicates; a wrong key, a
// truncated, a tampered and a newer-version file each refused with nothing changed; then registering
// the restored profile gives a new identity, which the contact meets as a key change.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	createCliEnvironment,
	describe as describeResult,
	jsonOutput,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const FAY = "+15555550171";
const GUS = "+15555550172";

let relay: RunningRelay;
let env: CliEnvironment;
let backupFile: string;
let recoveryKey: string;

beforeAll(async () => {
	relay = await startRelay();
	env = await createCliEnvironment(relay.url);
	await registerProfile(env, "fay", FAY);
	await registerProfile(env, "gus", GUS);
	backupFile = join(env.home, "..", "fay.friendly-backup");
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

/** What a restore writes in the fresh profile (contacts, history, pinned keys), by directory. */
async function restoredFiles(): Promise<string[]> {
	const names = await readdir(join(env.home, "fay2")).catch(() => []);
	return names.filter((name) => ["contacts", "history", "trusted"].includes(name)).sort();
}

const as = (profile: string, args: string[], key?: string) =>
	runCli(
		env,
		["--profile", profile, ...args],
		key === undefined ? {} : { env: { FRIENDLY_RECOVERY_KEY: key } },
	);

describe("friendly backup and restore", () => {
	it("backs up, restores into a fresh profile (twice, no duplicates) and refuses bad files changing nothing", async () => {
		expect((await as("fay", ["send", GUS, "hello Gus"])).code).toBe(0);
		expect((await as("gus", ["receive", "--timeout", "0"])).code).toBe(0);
		expect((await as("gus", ["send", FAY, "hi Fay"])).code).toBe(0);
		expect((await as("fay", ["receive", "--timeout", "0"])).code).toBe(0);
		expect((await as("fay", ["name", GUS, "Gus"])).code).toBe(0);
		expect((await as("fay", ["verify", GUS, "--mark-verified"])).code).toBe(0);

		// The readable export of the same conversation, with its warning, in both formats.
		const text = await as("fay", ["export", GUS]);
		expect(text.code, describeResult(text)).toBe(0);
		expect(text.stdout).toMatch(/^# This file is NOT encrypted/);
		expect(text.stdout).toMatch(/\] You: hello Gus\n/);
		const exported = join(env.home, "..", "fay-gus.json");
		const json = await as("fay", ["--json", "export", GUS, "--format", "json", "--output", exported]);
		expect(jsonOutput(json)).toMatchObject({ ok: true, entries: expect.any(Number) });
		expect(JSON.parse(await readFile(exported, "utf8"))).toMatchObject({
			kind: "friendly.export",
			peer: GUS,
			name: "Gus",
			messages: expect.arrayContaining([expect.objectContaining({ from: GUS, text: "hi Fay" })]),
		});

		const made = await as("fay", ["--json", "backup", backupFile]);
		expect(made.code, describeResult(made)).toBe(0);
		const result = jsonOutput(made);
		expect(result).toMatchObject({ ok: true, contacts: 1 });
		recoveryKey = String(result.recoveryKey);
		expect(recoveryKey).toMatch(/^([0-9A-Z]{5}-){5}[0-9A-Z]{5}$/);
		const file = await readFile(backupFile);
		expect(file.toString("latin1")).not.toContain("hello Gus");

		// Refusals first, into the fresh profile: each changes nothing (no history appears).
		const bad = join(env.home, "..", "bad.friendly-backup");
		const refusals: [string, Buffer, string, number][] = [
			["wrong key", file, "ABCDE-FGHJK-MNPQR-STVWX-YZ012-34567", 2],
			["truncated", file.subarray(0, file.length - 20), recoveryKey, 1],
			[
				"tampered",
				Buffer.from(file.map((byte, i) => (i === file.length - 40 ? byte ^ 1 : byte))),
				recoveryKey,
				1,
			],
			[
				"newer",
				Buffer.from(file.toString("latin1").replace('"version":1', '"version":9'), "latin1"),
				recoveryKey,
				1,
			],
		];
		for (const [what, bytes, key, code] of refusals) {
			await writeFile(bad, bytes);
			const refused = await as("fay2", ["--json", "restore", bad], key);
			expect(refused.code, `${what}: ${describeResult(refused)}`).toBe(code);
			expect(`${refused.stdout}${refused.stderr}`).toMatch(
				what === "wrong key"
					? /backup_wrong_key/
					: what === "newer"
						? /backup_unsupported_version/
						: /backup_damaged/,
			);
			expect(await restoredFiles(), what).toEqual([]);
		}

		// The key typed on stdin, in lower case with spaces: restored.
		const restored = await runCli(env, ["--profile", "fay2", "restore", backupFile], {
			input: `${recoveryKey.toLowerCase().replaceAll("-", " ")}\n`,
		});
		expect(restored.code, describeResult(restored)).toBe(0);
		expect(restored.stdout).toContain(`Verify again (compare safety numbers): ${GUS}.`);
		expect(restored.stdout).toContain(`register ${FAY}`);
		const again = await as("fay2", ["--json", "restore", backupFile], recoveryKey);
		expect(jsonOutput(again)).toMatchObject({ ok: true, messagesAdded: 0 });
		expect(await restoredFiles()).toEqual(["contacts", "history", "trusted"]);
	});

	it("registering the restored profile gives a new identity: the contact meets a key change", async () => {
		await registerProfile(env, "fay2", FAY);
		// The history is back (once, though restored twice), names and the verify-again line with it.
		const history = await as("fay2", ["history", GUS]);
		expect(history.stdout, describeResult(history)).toContain("Gus: hi Fay");
		expect(history.stdout.match(/hello Gus/g)).toHaveLength(1);
		expect(history.stdout).toContain("compare it again to verify");
		// Fay's new install writes first: Gus's app sees the changed key and holds the message back.
		expect((await as("fay2", ["send", GUS, "back from a backup"])).code).toBe(0);
		const received = await as("gus", ["--json", "receive", "--timeout", "0"]);
		expect(received.stdout).toMatch(/identity_changed|key_change|safety/i);
		const blocked = await as("gus", ["send", FAY, "is it you?"]);
		expect(blocked.code, describeResult(blocked)).toBe(7);
	});
});
