// Files the relay refuses, end to end with real `friendly` processes and the real relay (R2 in miniflare),
// on a relay configured small so nothing big has to move: blobs kept 1 second (ATTACHMENT_RETENTION_SECONDS,
// the relay's own expiry check), 1 file a day per phone, 1 MiB per file. An expired blob is reported
// as expired and nothing is saved; a second file in a day is refused saying when the quota resets; a file
// over the limit is refused with the limit before its body is read, and takes nothing of the quota.
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../../client-cli/exit-codes.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	createCliEnvironment,
	describe as describeResult,
	jsonEvents,
	jsonOutput,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const ALICE = "+15555550161";
const BOB = "+15555550162";
const CAROL = "+15555550163";
const MiB = 1024 * 1024;

let relay: RunningRelay;
let env: CliEnvironment;
let files: string;

beforeAll(async () => {
	relay = await startRelay({
		vars: {
			ATTACHMENT_RETENTION_SECONDS: "1",
			ATTACHMENTS_PER_DAY: "1",
			ATTACHMENT_MAX_BYTES: String(MiB),
			ATTACHMENT_BYTES_PER_DAY: String(2 * MiB),
		},
	});
	env = await createCliEnvironment(relay.url);
	files = await mkdtemp(join(tmpdir(), "friendly-refused-files-"));
	await Promise.all([
		registerProfile(env, "alice", ALICE),
		registerProfile(env, "bob", BOB),
		registerProfile(env, "carol", CAROL),
	]);
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

describe("files the relay refuses", () => {
	it("an expired blob: receive says it expired and saves nothing", async () => {
		const path = join(files, "report.pdf");
		await writeFile(path, new Uint8Array(10_000).fill(7));
		const sent = await runCli(env, [
			"--profile",
			"alice",
			"--json",
			"send",
			BOB,
			"--file",
			path,
			"the report",
		]);
		expect(sent.code, describeResult(sent)).toBe(0);
		// The blob is kept one second on this relay.
		await new Promise((resolve) => setTimeout(resolve, 1500));
		const saveDir = join(files, "bob-downloads");
		const received = await runCli(env, [
			"--profile",
			"bob",
			"--json",
			"receive",
			"--timeout",
			"0",
			"--save-dir",
			saveDir,
		]);
		expect(received.code, describeResult(received)).toBe(0);
		const events = jsonEvents(received.stdout, "attachment");
		expect(events).toEqual([
			expect.objectContaining({ status: "failed", code: "gone", name: "report.pdf", from: ALICE }),
		]);
		expect(String(events[0]?.message)).toMatch(/expired/i);
		expect(String(events[0]?.message)).toContain("Nothing was saved");
		// Not the file, and no partial or temporary file either.
		expect(await readdir(saveDir)).toEqual([]);
	});

	it("a second file in a day: refused, saying when the quota resets", async () => {
		const path = join(files, "second.txt");
		await writeFile(path, "one too many");
		const sent = await runCli(env, ["--profile", "alice", "--json", "send", BOB, "--file", path]);
		expect(sent.code, describeResult(sent)).toBe(EXIT_CODES.rateLimited);
		const error = jsonOutput(sent).error as Record<string, unknown>;
		expect(error.code).toBe("quota_exceeded");
		expect(String(error.message)).toContain("Daily limit of 1 files reached");
		// Hours and minutes (or seconds in the last hour of the day), to midnight UTC.
		expect(String(error.hint)).toMatch(
			/^The quota resets in (\d+ hours?( \d+ minutes?)?|\d+ seconds) \(at midnight UTC\)\.$/,
		);
		expect(error.retryAfter).toBeGreaterThan(0);
		expect(error.retryAfter).toBeLessThanOrEqual(86_400);
		const human = await runCli(env, ["--profile", "alice", "send", BOB, "--file", path]);
		expect(human.code, describeResult(human)).toBe(EXIT_CODES.rateLimited);
		expect(human.stderr).toMatch(/The quota resets in .+ \(at midnight UTC\)/);
	});

	it("a file over the limit: refused with the limit before it is read, and it costs no quota", async () => {
		const big = join(files, "big.bin");
		await writeFile(big, new Uint8Array(1.5 * MiB));
		const refused = await runCli(env, ["--profile", "carol", "--json", "send", BOB, "--file", big]);
		expect(refused.code, describeResult(refused)).not.toBe(0);
		const error = jsonOutput(refused).error as Record<string, unknown>;
		expect(error.code).toBe("attachment_too_large");
		expect(String(error.message)).toContain("too large: limit 1 MB");
		// Carol's one file of the day is still there.
		const small = join(files, "small.txt");
		await writeFile(small, "fits");
		const sent = await runCli(env, ["--profile", "carol", "--json", "send", BOB, "--file", small]);
		expect(sent.code, describeResult(sent)).toBe(0);
	});
});
