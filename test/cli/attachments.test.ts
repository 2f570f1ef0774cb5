// Files between two real `friendly` processes through the real relay (R2 in miniflare): `send --file`
// with a caption, `receive --save-dir` saving identical bytes under the sender's file name (sanitised),
// never overwriting (a suffix instead), --json attachment events, an empty file, and a file over the
// relay's limit refused before upload with the limit in the message.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	CliProcess,
	createCliEnvironment,
	describe as describeResult,
	jsonEvents,
	jsonOutput,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const ALICE = "+15555550151";
const BOB = "+15555550152";

let relay: RunningRelay;
let env: CliEnvironment;
let files: string;

beforeAll(async () => {
	relay = await startRelay({ vars: { ATTACHMENT_MAX_BYTES: String(2 * 1024 * 1024) } });
	env = await createCliEnvironment(relay.url);
	files = await mkdtemp(join(tmpdir(), "friendly-files-"));
	await registerProfile(env, "alice", ALICE);
	await registerProfile(env, "bob", BOB);
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function attachmentEvents(stdout: string): Record<string, unknown>[] {
	return jsonEvents(stdout, "attachment");
}

describe("friendly send --file / receive --save-dir", () => {
	it("sends a file with a caption; the receiver saves identical bytes, never over an existing file", async () => {
		const bytes = new Uint8Array(200_000).map((_, i) => (i * 13 + 7) & 0xff);
		const path = join(files, "holiday photo.jpg");
		await writeFile(path, bytes);
		for (let round = 0; round < 2; round++) {
			const sent = await runCli(env, ["--profile", "alice", "--json", "send", BOB, "--file", path, "look!"]);
			expect(sent.code, describeResult(sent)).toBe(0);
			expect(jsonOutput(sent)).toMatchObject({
				ok: true,
				text: "look!",
				attachment: { name: "holiday photo.jpg", size: bytes.length, contentType: "image/jpeg" },
			});
			expect(sent.stdout).not.toContain('"key"');
		}
		const saveDir = join(files, "downloads");
		await mkdir(saveDir);
		await writeFile(join(saveDir, "holiday photo.jpg"), "already here");
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
		const messages = jsonEvents(received.stdout, "message");
		expect(messages).toHaveLength(2);
		expect(messages[0]).toMatchObject({
			from: ALICE,
			text: "look!",
			attachment: { name: "holiday photo.jpg" },
		});
		const saved = attachmentEvents(received.stdout);
		expect(saved.map((event) => event.status)).toEqual(["saved", "saved"]);
		expect(await readFile(join(saveDir, "holiday photo.jpg"), "utf8")).toBe("already here");
		expect((await readdir(saveDir)).sort()).toEqual([
			"holiday photo (1).jpg",
			"holiday photo (2).jpg",
			"holiday photo.jpg",
		]);
		for (const name of ["holiday photo (1).jpg", "holiday photo (2).jpg"]) {
			expect(sha256(await readFile(join(saveDir, name)))).toBe(sha256(bytes));
			expect((await stat(join(saveDir, name))).mode & 0o077).toBe(0);
		}
	});

	it("an empty file works; human output names the file", async () => {
		const path = join(files, "empty.txt");
		await writeFile(path, "");
		const sent = await runCli(env, ["--profile", "alice", "send", BOB, "--file", path]);
		expect(sent.code, describeResult(sent)).toBe(0);
		const saveDir = join(files, "empty-downloads");
		const received = await runCli(env, [
			"--profile",
			"bob",
			"receive",
			"--timeout",
			"0",
			"--save-dir",
			saveDir,
		]);
		expect(received.code, describeResult(received)).toBe(0);
		expect(received.stdout).toContain("[file: empty.txt, 0 bytes]");
		expect(received.stderr).toContain(`Saved empty.txt from ${ALICE}`);
		expect((await readFile(join(saveDir, "empty.txt"))).length).toBe(0);
	});

	it("sendfile <path> at the interactive prompt sends to the current conversation", async () => {
		const path = join(files, "notes from the prompt.txt");
		await writeFile(path, "typed at the prompt\n");
		const alice = new CliProcess(env, ["--profile", "alice"]);
		try {
			await alice.waitFor(/Connected to the relay\./);
			let mark = alice.stdout.length;
			alice.writeLine(`sendfile ${path}`);
			await alice.waitFor(
				/No conversation open yet: type `chat <phone>` first, then `sendfile <path>`/,
				mark,
			);
			alice.writeLine(`chat ${BOB}`);
			await alice.waitFor(/Plain lines are now sent to them\./, mark);
			mark = alice.stdout.length;
			alice.writeLine(`sendfile ${path}`);
			await alice.waitFor(/sent|queued/, mark);
			alice.writeLine("quit");
		} finally {
			await alice.stop();
		}
		const saveDir = join(files, "prompt-downloads");
		const received = await runCli(env, [
			"--profile",
			"bob",
			"receive",
			"--timeout",
			"0",
			"--save-dir",
			saveDir,
		]);
		expect(received.code, describeResult(received)).toBe(0);
		expect(await readFile(join(saveDir, "notes from the prompt.txt"), "utf8")).toBe("typed at the prompt\n");
	});

	it("a file over the relay's limit is refused with the limit, nothing sent", async () => {
		const path = join(files, "big.bin");
		await writeFile(path, new Uint8Array(3 * 1024 * 1024));
		const sent = await runCli(env, ["--profile", "alice", "--json", "send", BOB, "--file", path]);
		expect(sent.code, describeResult(sent)).not.toBe(0);
		const error = jsonOutput(sent).error as Record<string, unknown>;
		expect(error.code).toBe("attachment_too_large");
		expect(String(error.message)).toContain("too large: limit 2 MB");
	});
});
