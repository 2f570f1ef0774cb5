// Runs `wrangler dev` as a child process on a free loopback port: the same command `npm start` uses,
// for tests that need the relay's log output or a process they can kill and restart on its
// persisted state.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** wrangler's own executable, run with this Node: through `npx` each start also paid npm's (~0.7 CPU-s). */
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

export interface WranglerDev {
	url: string;
	output(): string;
	/** Ends the process; SIGKILL simulates a crash. */
	stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	const port = typeof address === "object" && address ? address.port : 0;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

export async function startWranglerDev(
	options: {
		vars?: Record<string, string>;
		persistTo?: string;
		port?: number;
		/** wrangler's --log-level; "warn" hides its request lines, which show each request's path. */
		logLevel?: "debug" | "info" | "log" | "warn" | "error";
	} = {},
): Promise<WranglerDev> {
	const port = options.port ?? (await freePort());
	const args = [
		WRANGLER,
		"dev",
		"--ip",
		"127.0.0.1",
		"--port",
		String(port),
		"--show-interactive-dev-session=false",
	];
	if (options.persistTo) args.push("--persist-to", options.persistTo);
	if (options.logLevel) args.push("--log-level", options.logLevel);
	for (const [name, value] of Object.entries(options.vars ?? {})) args.push("--var", `${name}:${value}`);
	const child: ChildProcess = spawn(process.execPath, args, {
		cwd: ROOT,
		env: { ...process.env, NO_COLOR: "1", WRANGLER_SEND_METRICS: "false" },
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	let output = "";
	child.stdout?.on("data", (chunk) => {
		output += String(chunk);
	});
	child.stderr?.on("data", (chunk) => {
		output += String(chunk);
	});
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 60_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
		try {
			const response = await fetch(`${url}/healthz`);
			if (response.ok) break;
		} catch {
			// Not listening yet.
		}
		if (Date.now() > deadline) throw new Error(`wrangler dev did not start within 60 s:\n${output}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	return {
		url,
		output: () => output,
		stop: async (signal = "SIGTERM") => {
			if (child.exitCode !== null || child.pid === undefined) return;
			const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
			// The whole process group: wrangler and workerd.
			process.kill(-child.pid, signal);
			await exited;
		},
	};
}
