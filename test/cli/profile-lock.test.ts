// The profile lock (client-cli/storage/profile-lock.ts): one writer per profile. Unit level: a live
// owner is respected, a dead or garbage lock is taken over, a lock is released only by its owner, a
// breaker left by a crash is itself broken. Then the race the old lock lost (two processes got the
// profile in 6 of 12 trials): a stale lock left by a crashed process and 12 real `friendly` processes
// starting at once on it, five rounds — each time exactly one gets the profile and the other 11 exit
// 10 naming its pid.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../../client-cli/exit-codes.ts";
import { breakerPath, lockProfile, parseLockContent } from "../../client-cli/storage/profile-lock.ts";
import { type CliEnvironment, CliProcess, createCliEnvironment } from "./support/cli.ts";

let scratch: string;
let counter = 0;

beforeAll(async () => {
	scratch = await mkdtemp(join(tmpdir(), "friendly-cli-lock-"));
});
afterAll(async () => {
	await rm(scratch, { recursive: true, force: true });
});

async function freshDirectory(): Promise<string> {
	counter += 1;
	const directory = join(scratch, `profile-${counter}`);
	await mkdir(directory, { mode: 0o700 });
	return directory;
}

/** The pid of a process that has exited (so a lock naming it is stale). */
async function deadPid(): Promise<number> {
	const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
	const pid = child.pid;
	await new Promise((resolve) => child.once("exit", resolve));
	if (pid === undefined) throw new Error("no pid");
	return pid;
}

/** A lock as a friendly process writes it. */
function lockText(pid: number, host = hostname()): string {
	return `${JSON.stringify({ kind: "friendly.lock", v: 1, pid, host, nonce: randomBytes(16).toString("hex") })}\n`;
}

async function leftovers(directory: string): Promise<string[]> {
	return (await readdir(directory)).filter((name) => name.startsWith("lock") || name.endsWith(".tmp"));
}

describe("profile lock", () => {
	it("is created with the owner's pid and nonce in it, and released without leftovers", async () => {
		const directory = await freshDirectory();
		const lock = await lockProfile(directory, "p");
		const owner = parseLockContent(await readFile(join(directory, "lock"), "utf8"));
		expect(owner).toMatchObject({
			pid: process.pid,
			host: hostname(),
			nonce: expect.stringMatching(/^[0-9a-f]{32}$/),
		});
		await lock.release();
		await lock.release();
		expect(await readdir(directory)).toEqual([]);
	});

	it("respects a live owner (this test's parent process), in the current and the old format", async () => {
		const directory = await freshDirectory();
		for (const content of [lockText(process.ppid), `${process.ppid}\n`]) {
			await writeFile(join(directory, "lock"), content);
			await expect(lockProfile(directory, "p")).rejects.toMatchObject({
				code: "profile_in_use",
				exitCode: EXIT_CODES.profileUnavailable,
				message: `The profile "p" is in use by another friendly process (pid ${process.ppid}).`,
				hint: expect.stringContaining("quit it first"),
			});
			expect(await readFile(join(directory, "lock"), "utf8")).toBe(content);
		}
		// Another machine's lock cannot be checked: it is respected too.
		await writeFile(join(directory, "lock"), lockText(process.ppid, "elsewhere.example"));
		await expect(lockProfile(directory, "p")).rejects.toMatchObject({
			message: expect.stringContaining("on another machine (elsewhere.example"),
		});
	});

	it("refuses a second lock in the same process while the first is held", async () => {
		const directory = await freshDirectory();
		const first = await lockProfile(directory, "p");
		await expect(lockProfile(directory, "p")).rejects.toMatchObject({ code: "profile_in_use" });
		await first.release();
		const second = await lockProfile(directory, "p");
		await second.release();
	});

	it("takes over a lock whose process is dead, an old-format one, garbage, and one naming this pid it never took", async () => {
		const dead = await deadPid();
		const stale = [
			lockText(dead),
			`${dead}\n`,
			"",
			"garbage",
			'{"pid":"x"}',
			lockText(process.pid), // this process's pid, a nonce it never created: a crashed run's
		];
		for (const content of stale) {
			const directory = await freshDirectory();
			await writeFile(join(directory, "lock"), content);
			const lock = await lockProfile(directory, "p");
			const owner = parseLockContent(await readFile(join(directory, "lock"), "utf8"));
			expect(owner?.pid).toBe(process.pid);
			expect(await leftovers(directory)).toEqual(["lock"]);
			await lock.release();
			expect(await readdir(directory)).toEqual([]);
		}
	});

	it("breaks a breaker left by a crash in the middle of a takeover", async () => {
		const directory = await freshDirectory();
		const path = join(directory, "lock");
		const staleLock = lockText(await deadPid());
		await writeFile(path, staleLock);
		await writeFile(breakerPath(path, staleLock), lockText(await deadPid()));
		const lock = await lockProfile(directory, "p");
		expect(parseLockContent(await readFile(path, "utf8"))?.pid).toBe(process.pid);
		// The stale breaker was replaced and then removed by its new holder.
		expect(await leftovers(directory)).toEqual(["lock"]);
		await lock.release();
	});

	it("does not remove someone else's lock on release", async () => {
		const directory = await freshDirectory();
		const lock = await lockProfile(directory, "p");
		const someoneElse = lockText(process.ppid);
		await writeFile(join(directory, "lock"), someoneElse);
		await lock.release();
		expect(await readFile(join(directory, "lock"), "utf8")).toBe(someoneElse);
	});

	it("gives a stale lock to exactly one of many concurrent takers in one process", async () => {
		const directory = await freshDirectory();
		await writeFile(join(directory, "lock"), lockText(await deadPid()));
		const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => lockProfile(directory, "p")));
		const won = outcomes.filter((outcome) => outcome.status === "fulfilled");
		expect(won).toHaveLength(1);
		for (const outcome of outcomes) {
			if (outcome.status === "rejected") expect(outcome.reason).toMatchObject({ code: "profile_in_use" });
		}
		await won[0]?.value.release();
		expect(await readdir(directory)).toEqual([]);
	});
});

describe("profile lock across real friendly processes", () => {
	const PROCESSES = 12;
	const ROUNDS = 5;
	let env: CliEnvironment;

	beforeAll(async () => {
		// The interactive client on an unregistered profile takes the lock, then waits at the phone
		// question without talking to the relay, so no relay is needed.
		env = await createCliEnvironment("http://127.0.0.1:9");
	});
	afterAll(async () => {
		await env?.cleanup();
	});

	it(`a stale lock and ${PROCESSES} processes at once: exactly one gets the profile, ${ROUNDS} rounds`, async () => {
		const directory = join(env.home, "race");
		await mkdir(directory, { recursive: true, mode: 0o700 });
		for (let round = 0; round < ROUNDS; round += 1) {
			const dead = await deadPid();
			// A lock left by a crashed friendly (the old pid-only format in one round).
			await writeFile(join(directory, "lock"), round === 1 ? `${dead}\n` : lockText(dead));
			const processes = Array.from({ length: PROCESSES }, () => new CliProcess(env, ["--profile", "race"]));
			try {
				const outcomes = await Promise.all(
					processes.map((cli) =>
						cli.waitFor(/Your phone number \(\+ and country code\): /).then(
							() => "running" as const,
							async () => ({ exit: await cli.exited }),
						),
					),
				);
				const running = processes.filter((_, index) => outcomes[index] === "running");
				const transcripts = processes.map((cli) => cli.transcript()).join("\n");
				expect(running, `round ${round}:\n${transcripts}`).toHaveLength(1);
				const winner = running[0];
				if (!winner) throw new Error("no winner");
				for (const cli of processes) {
					if (cli === winner) continue;
					expect(await cli.exited, cli.transcript()).toBe(EXIT_CODES.profileUnavailable);
					expect(cli.stderr).toContain(
						`The profile "race" is in use by another friendly process (pid ${winner.child.pid}).`,
					);
					expect(cli.stderr).toMatch(/hint: Use that session or quit it first/);
				}
				expect(parseLockContent(await readFile(join(directory, "lock"), "utf8"))?.pid).toBe(winner.child.pid);
				winner.endInput();
				expect(await winner.exited, winner.transcript()).toBe(0);
				expect(await leftovers(directory)).toEqual([]);
			} finally {
				await Promise.all(processes.map((cli) => cli.stop()));
			}
		}
	});
});
