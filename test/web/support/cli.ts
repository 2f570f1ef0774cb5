// Runs the real `friendly` CLI as a child process for the browser ↔ CLI interop test. The bundle is built
// from client-cli/ once per run (the same esbuild options as `npm run build:cli`; test/support/cli-bundle.ts),
// with its data in a temporary FRIENDLY_HOME. Processes are spawned asynchronously: the relay runs in this
// process's event loop (wrangler's test harness), so blocking it would deadlock.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testCliBundle } from "../../support/cli-bundle.ts";

export interface CliRun {
	code: number | null;
	stdout: string;
	stderr: string;
}

export class FriendlyCli {
	private constructor(
		private readonly root: string,
		private readonly bundle: string,
		private readonly server: string,
		private readonly profile: string,
	) {}

	static async create(server: string, profile: string): Promise<FriendlyCli> {
		const bundle = await testCliBundle();
		const root = await mkdtemp(join(tmpdir(), "friendly-web-interop-"));
		return new FriendlyCli(root, bundle, server, profile);
	}

	/** `friendly --server <relay> --profile <profile> --json <args…>`, to completion. */
	run(args: readonly string[]): Promise<CliRun> {
		const env: NodeJS.ProcessEnv = { ...process.env, FRIENDLY_HOME: join(this.root, "home"), NO_COLOR: "1" };
		delete env.FRIENDLY_PASSPHRASE;
		delete env.FRIENDLY_PROFILE;
		delete env.FRIENDLY_SERVER;
		const child = spawn(
			process.execPath,
			[this.bundle, "--server", this.server, "--profile", this.profile, "--json", ...args],
			{ env, stdio: ["pipe", "pipe", "pipe"] },
		);
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (chunk) => {
			stdout += String(chunk);
		});
		child.stderr.on("data", (chunk) => {
			stderr += String(chunk);
		});
		child.stdin.end();
		return new Promise((resolve, reject) => {
			child.once("error", reject);
			child.once("close", (code) => resolve({ code, stdout, stderr }));
		});
	}

	/** Runs and parses the JSON lines it printed; fails with the whole output when it did not exit 0. */
	async json(args: readonly string[]): Promise<Record<string, unknown>[]> {
		const result = await this.run(args);
		if (result.code !== 0) {
			throw new Error(`friendly ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
		}
		return result.stdout
			.split("\n")
			.filter((line) => line.trim() !== "")
			.map((line): Record<string, unknown> => {
				const value: unknown = JSON.parse(line);
				return typeof value === "object" && value !== null ? { ...value } : { value };
			});
	}

	/** The suites of the sessions the CLI stored for `peer` (its sessions/<phone>.json, no passphrase). */
	async sessionSuites(peer: string): Promise<number[]> {
		const text = await readFile(join(this.root, "home", this.profile, "sessions", `${peer}.json`), "utf8");
		const record: unknown = JSON.parse(text);
		const sessions: unknown = Reflect.get(Object(record), "sessions");
		return Array.isArray(sessions)
			? sessions.map((session) => Number(Reflect.get(Object(session), "suite")))
			: [];
	}

	async register(phone: string): Promise<void> {
		const [requested] = await this.json(["register", phone]);
		const code = requested?.code;
		if (typeof code !== "string")
			throw new Error(`the relay did not echo a code: ${JSON.stringify(requested)}`);
		await this.json(["register", phone, "--code", code]);
	}

	cleanup(): Promise<void> {
		return rm(this.root, { recursive: true, force: true });
	}
}
