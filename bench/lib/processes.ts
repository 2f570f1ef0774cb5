// Relays under test run as separate processes, never in the bench's own event loop, so client work and
// relay work are measured apart: `wrangler dev` (the same command `npm start` runs) for the FriendLy
// relay and the plain Durable Object baseline, and a child Node process for the plain `ws` baseline.
// This module starts and stops them and reads their CPU time and memory from /proc (Linux only; on
// other systems the CPU and memory figures are reported as unavailable).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface RelayProcess {
	/** http://127.0.0.1:<port> */
	url: string;
	/** The process group leader (npx / node); every process of the relay is in its group. */
	pid: number;
	output(): string;
	stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
	const address = server.address();
	const port = typeof address === "object" && address ? address.port : 0;
	await new Promise<void>((done) => server.close(() => done()));
	return port;
}

/** Process groups started here and not yet stopped: ended if the bench itself exits or is interrupted. */
const liveGroups = new Set<number>();
/** Relay state directories not yet removed (removed on stop, or here on exit). */
const liveDirs = new Set<string>();
process.once("exit", () => {
	for (const pgid of liveGroups) {
		try {
			process.kill(-pgid, "SIGTERM");
		} catch {
			// Already gone.
		}
	}
	for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
	process.once(signal, () => process.exit(130));
}

function spawnGroup(
	command: string,
	args: string[],
	cwd: string,
	onLine?: (line: string) => void,
): { child: ChildProcess; output: () => string } {
	const child = spawn(command, args, {
		cwd,
		env: { ...process.env, NO_COLOR: "1", WRANGLER_SEND_METRICS: "false" },
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	let output = "";
	const keep = (chunk: unknown) => {
		output += String(chunk);
		if (output.length > 200_000) output = output.slice(-100_000);
	};
	child.stdout?.on("data", keep);
	child.stderr?.on("data", keep);
	if (onLine) {
		let partial = "";
		child.stdout?.on("data", (chunk: unknown) => {
			const lines = (partial + String(chunk)).split("\n");
			partial = lines.pop() ?? "";
			for (const line of lines) onLine(line);
		});
	}
	const pgid = child.pid;
	if (pgid !== undefined) {
		liveGroups.add(pgid);
		child.once("exit", () => liveGroups.delete(pgid));
	}
	return { child, output: () => output };
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
	const deadline = Date.now() + 90_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`relay exited early:\n${output()}`);
		try {
			const response = await fetch(`${url}/healthz`);
			if (response.ok) return;
		} catch {
			// Not listening yet.
		}
		if (Date.now() > deadline) throw new Error(`relay did not start within 90 s:\n${output()}`);
		await new Promise((done) => setTimeout(done, 200));
	}
}

function stopper(child: ChildProcess, cleanup: () => void): () => Promise<void> {
	return async () => {
		if (child.exitCode === null && child.pid !== undefined) {
			const exited = new Promise<void>((done) => child.once("exit", () => done()));
			try {
				process.kill(-child.pid, "SIGTERM");
			} catch {
				// Already gone.
			}
			const timer = setTimeout(() => {
				try {
					if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
				} catch {
					// Already gone.
				}
			}, 5_000);
			await exited;
			clearTimeout(timer);
		}
		cleanup();
	};
}

async function runToEnd(command: string, args: string[]): Promise<void> {
	const { child, output } = spawnGroup(command, args, ROOT);
	const code = await new Promise<number | null>((done) => child.once("exit", (c) => done(c)));
	if (code !== 0) throw new Error(`${command} ${args.join(" ")} failed (${code}):\n${output()}`);
}

export interface WranglerOptions {
	/** A wrangler config file; it is copied to a temp dir with `main` made absolute. */
	configPath: string;
	vars?: Record<string, string>;
	/** Rewrites applied to the config text (e.g. a higher per-IP limit for mass registration). */
	rewrite?: (config: string) => string;
	state?: StateLocation;
	/** A fixed port for workerd's V8 inspector (bench/profile-relay.ts); wrangler picks one otherwise. */
	inspectorPort?: number;
	/** wrangler's --log-level ("warn" unless set: "log" shows the Worker's console.log lines). */
	logLevel?: "warn" | "log";
	/** Called with each line the relay prints on stdout. */
	onLine?: (line: string) => void;
}

/** Where relay state (SQLite files) lives: the disk, as `npm start`, or tmpfs (no fsync cost). */
export type StateLocation = "disk" | "tmpfs";

const bundles = new Map<string, Promise<string>>();
const scratch: string[] = [];
process.once("exit", () => {
	for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/**
 * Bundles a config's Worker once per run and returns a config serving that bundle. `wrangler dev`
 * watches its sources and reloads (dropping every WebSocket) when a file changes, and other work may
 * be editing worker/ while the bench runs; the bundle is a snapshot taken at the first start.
 */
function bundledConfig(options: WranglerOptions): Promise<string> {
	const key = `${options.configPath}\n${options.rewrite ? String(options.rewrite) : ""}`;
	let bundle = bundles.get(key);
	if (!bundle) {
		bundle = (async () => {
			const dir = mkdtempSync(join(tmpdir(), "friendly-bench-bundle-"));
			scratch.push(dir);
			const configDir = dirname(resolve(options.configPath));
			let config = readFileSync(options.configPath, "utf8");
			const mainMatch = /^main\s*=\s*"([^"]+)"/m.exec(config);
			if (!mainMatch?.[1]) throw new Error(`${options.configPath} has no main`);
			config = config.replace(mainMatch[0], `main = ${JSON.stringify(resolve(configDir, mainMatch[1]))}`);
			if (options.rewrite) config = options.rewrite(config);
			const sourceConfig = join(dir, "source.wrangler.toml");
			writeFileSync(sourceConfig, config);
			const bundleDir = join(dir, "bundle");
			await runToEnd("npx", [
				"wrangler",
				"deploy",
				"--dry-run",
				"--outdir",
				bundleDir,
				"--config",
				sourceConfig,
			]);
			const bundled = readdirSync(bundleDir).find((name) => name.endsWith(".js"));
			if (!bundled) throw new Error(`wrangler produced no bundle in ${bundleDir}`);
			const configFile = join(dir, "wrangler.toml");
			writeFileSync(
				configFile,
				`${config.replace(/^main\s*=.*$/m, `main = ${JSON.stringify(join(bundleDir, bundled))}\nno_bundle = true`)}\n`,
			);
			return configFile;
		})();
		bundles.set(key, bundle);
	}
	return bundle;
}

/** `wrangler dev` on a free loopback port, with a fresh temp persist dir (removed on stop). */
export async function startWrangler(options: WranglerOptions): Promise<RelayProcess> {
	const port = await freePort();
	const configFile = await bundledConfig(options);
	const base = options.state === "tmpfs" && existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
	const dir = mkdtempSync(join(base, "friendly-bench-state-"));
	const args = [
		"wrangler",
		"dev",
		"--config",
		configFile,
		"--ip",
		"127.0.0.1",
		"--port",
		String(port),
		"--persist-to",
		join(dir, "state"),
		"--show-interactive-dev-session=false",
		"--log-level",
		options.logLevel ?? "warn",
	];
	if (options.inspectorPort !== undefined) args.push("--inspector-port", String(options.inspectorPort));
	for (const [name, value] of Object.entries(options.vars ?? {})) args.push("--var", `${name}:${value}`);
	const { child, output } = spawnGroup("npx", args, ROOT, options.onLine);
	const url = `http://127.0.0.1:${port}`;
	liveDirs.add(dir);
	const stop = stopper(child, () => {
		rmSync(dir, { recursive: true, force: true });
		liveDirs.delete(dir);
	});
	try {
		await waitHealthy(url, child, output);
	} catch (error) {
		await stop();
		throw error;
	}
	if (child.pid === undefined) throw new Error("wrangler dev has no pid");
	return { url, pid: child.pid, output, stop };
}

/** A Node script (TypeScript, run through tsx) that prints `listening <port>` once ready. */
export async function startNodeScript(script: string, args: string[] = []): Promise<RelayProcess> {
	const port = await freePort();
	const { child, output } = spawnGroup(
		process.execPath,
		["--import", "tsx", script, String(port), ...args],
		ROOT,
	);
	const url = `http://127.0.0.1:${port}`;
	const stop = stopper(child, () => {});
	try {
		await waitHealthy(url, child, output);
	} catch (error) {
		await stop();
		throw error;
	}
	if (child.pid === undefined) throw new Error("relay has no pid");
	return { url, pid: child.pid, output, stop };
}

// ── /proc readings ─────────────────────────────────────────────────────────────────────────────

const CLOCK_TICKS_PER_SECOND = 100;

interface ProcStat {
	pid: number;
	comm: string;
	ppid: number;
	pgrp: number;
	cpuMs: number;
}

function readStat(pid: number): ProcStat | null {
	try {
		const text = readFileSync(`/proc/${pid}/stat`, "utf8");
		const close = text.lastIndexOf(")");
		const comm = text.slice(text.indexOf("(") + 1, close);
		const fields = text.slice(close + 2).split(" ");
		// fields[0] is state (field 3); utime is field 14, stime field 15 (1-based).
		const utime = Number(fields[11]);
		const stime = Number(fields[12]);
		return {
			pid,
			comm,
			ppid: Number(fields[1]),
			pgrp: Number(fields[2]),
			cpuMs: ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND,
		};
	} catch {
		return null;
	}
}

function groupMembers(pgrp: number): ProcStat[] {
	let entries: string[];
	try {
		entries = readdirSync("/proc");
	} catch {
		return [];
	}
	const members: ProcStat[] = [];
	for (const entry of entries) {
		if (!/^[0-9]+$/.test(entry)) continue;
		const stat = readStat(Number(entry));
		if (stat && stat.pgrp === pgrp) members.push(stat);
	}
	return members;
}

/** CPU time (user + system) of every process of a relay, in ms; null where /proc is unavailable. */
export function groupCpuMs(relay: RelayProcess): { total: number; workerd: number } | null {
	const members = groupMembers(relay.pid);
	if (members.length === 0) return null;
	let total = 0;
	let workerd = 0;
	for (const member of members) {
		total += member.cpuMs;
		if (member.comm.startsWith("workerd")) workerd += member.cpuMs;
	}
	return { total, workerd };
}

/** Resident memory of the relay's workerd process(es), in bytes; null where unknown. */
export function workerdRssBytes(relay: RelayProcess): number | null {
	const members = groupMembers(relay.pid).filter((member) => member.comm.startsWith("workerd"));
	if (members.length === 0) return null;
	let rss = 0;
	for (const member of members) {
		try {
			const status = readFileSync(`/proc/${member.pid}/status`, "utf8");
			const match = /^VmRSS:\s+([0-9]+) kB/m.exec(status);
			if (match?.[1]) rss += Number(match[1]) * 1024;
		} catch {
			// Exited meanwhile.
		}
	}
	return rss;
}

/** This bench process's own CPU time (the client side), in ms. */
export function ownCpuMs(): number {
	const usage = process.cpuUsage();
	return (usage.user + usage.system) / 1000;
}
