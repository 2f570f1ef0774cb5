// A web client anyone can verify (issue 16): the web build is reproducible (two builds of the same
// source, in different directories, give the same bytes), index.html pins its script and stylesheet
// with Subresource Integrity (and Chromium refuses a changed script under an unchanged page), and
// `friendly verify-web <url>` — the real CLI process — finds the relay's app identical to the checkout's
// client-web/dist, and names the file that differs when a server serves a copy with one byte changed.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../client-cli/build.ts";
import { EXIT_CODES } from "../../client-cli/exit-codes.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { fileBrowser } from "./support/chromium.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIST = join(ROOT, "client-web", "dist");
const VITE = join(ROOT, "node_modules", "vite", "bin", "vite.js");

let relay: RunningRelay;
let browser: Browser;
let work: string;
let cli: string;

beforeAll(async () => {
	work = await mkdtemp(join(tmpdir(), "friendly-verify-web-"));
	[relay, browser, cli] = await Promise.all([
		startRelay(),
		fileBrowser(),
		buildCli(join(work, "bin", "friendly.js")),
	]);
}, 120_000);
afterAll(async () => {
	await browser?.close();
	await relay?.close();
	if (work) await rm(work, { recursive: true, force: true });
});

interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
}

function run(executable: string, args: readonly string[], cwd = ROOT): Promise<Run> {
	// NODE_ENV stays as vitest set it ("test"): the build must not depend on it (vite.config.ts pins it).
	const env: NodeJS.ProcessEnv = { ...process.env, FRIENDLY_HOME: join(work, "home"), NO_COLOR: "1" };
	const child = spawn(process.execPath, [executable, ...args], {
		cwd,
		env,
		stdio: ["ignore", "pipe", "pipe"],
	});
	let stdout = "";
	let stderr = "";
	child.stdout.on("data", (chunk) => {
		stdout += String(chunk);
	});
	child.stderr.on("data", (chunk) => {
		stderr += String(chunk);
	});
	return new Promise((resolve, reject) => {
		child.once("error", reject);
		child.once("close", (code) => resolve({ code, stdout, stderr }));
	});
}

function jsonLines(result: Run): Record<string, unknown>[] {
	return result.stdout
		.split("\n")
		.filter((line) => line.trim() !== "")
		.map((line): Record<string, unknown> => ({ ...(JSON.parse(line) as object) }));
}

/** Every file under `dir`, path → bytes. */
async function files(dir: string): Promise<Map<string, Buffer>> {
	const entries = await readdir(dir, { recursive: true, withFileTypes: true });
	const found = new Map<string, Buffer>();
	for (const entry of entries.filter((e) => e.isFile())) {
		const path = join(entry.parentPath, entry.name);
		found.set(relative(dir, path), await readFile(path));
	}
	return found;
}

async function viteBuild(checkout: string, outDir: string): Promise<void> {
	const result = await run(
		VITE,
		[
			"build",
			"--config",
			"client-web/vite.config.ts",
			"--outDir",
			outDir,
			"--emptyOutDir",
			"--logLevel",
			"warn",
		],
		checkout,
	);
	expect(result.code, `vite build in ${checkout}:\n${result.stdout}\n${result.stderr}`).toBe(0);
}

/** The CSP line the build asks the host to send (client-web/public/_headers). */
async function buildPolicy(dist: string): Promise<string> {
	const headers = await readFile(join(dist, "_headers"), "utf8");
	return /^\s+Content-Security-Policy:\s*(.+?)\s*$/m.exec(headers)?.[1] ?? "";
}

const TYPES: Record<string, string> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript",
	".css": "text/css",
	".svg": "image/svg+xml",
};

/** A stand-in for a relay whose operator serves their own copy of the app: `dir` as a static site. */
async function serveCopy(dir: string): Promise<{ url: string; server: Server }> {
	const policy = await buildPolicy(dir);
	const server = createServer((request, response) => {
		const path = new URL(request.url ?? "/", "http://x").pathname;
		const file = path === "/" ? "index.html" : decodeURIComponent(path.slice(1));
		readFile(join(dir, file)).then(
			(body) => {
				response.writeHead(200, {
					"content-type": TYPES[extname(file)] ?? "application/octet-stream",
					"content-security-policy": policy,
				});
				response.end(body);
			},
			() => {
				response.writeHead(404).end();
			},
		);
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	if (!address || typeof address === "string") throw new Error("no port");
	return { url: `http://127.0.0.1:${address.port}`, server };
}

function closeServer(server: Server): Promise<void> {
	return new Promise((resolve) => server.close(() => resolve()));
}

/** The first script the built page loads, relative to dist. */
async function mainScript(dist: string): Promise<string> {
	const html = await readFile(join(dist, "index.html"), "utf8");
	const src = /<script\b[^>]*\ssrc="\/([^"]+)"/.exec(html)?.[1];
	if (!src) throw new Error("the built page loads no script");
	return src;
}

describe("the web client anyone can verify", () => {
	it("builds reproducibly: the same source in another directory gives the same bytes as client-web/dist", async () => {
		// A second checkout of the same source at another path (dependencies shared through a symlink).
		const checkout = join(work, "other-checkout");
		await mkdir(checkout);
		for (const path of ["client-web", "protocol", "package.json", "tsconfig.base.json", "tsconfig.web.json"])
			await cp(join(ROOT, path), join(checkout, path), {
				recursive: true,
				filter: (source) => !source.startsWith(DIST),
			});
		await symlink(join(ROOT, "node_modules"), join(checkout, "node_modules"));
		const [first, second] = [join(work, "build-1"), join(work, "build-2")];
		await viteBuild(ROOT, first);
		await viteBuild(checkout, second);

		const [served, one, two] = await Promise.all([files(DIST), files(first), files(second)]);
		expect([...one.keys()].sort()).toEqual([...served.keys()].sort());
		expect([...two.keys()].sort()).toEqual([...served.keys()].sort());
		for (const [path, bytes] of served) {
			expect(one.get(path)?.equals(bytes), `${path}: build 1 differs from client-web/dist`).toBe(true);
			expect(two.get(path)?.equals(bytes), `${path}: the build in another directory differs`).toBe(true);
		}
	}, 60_000);

	it("pins every script and stylesheet in index.html with sha384 Subresource Integrity, allowed by the CSP", async () => {
		const html = await (await fetch(`${relay.url}/`)).text();
		const loads = [...html.matchAll(/<(?:script|link)\b[^>]*\s(?:src|href)="(\/assets\/[^"]+)"[^>]*>/g)];
		expect(loads.length).toBeGreaterThanOrEqual(2);
		for (const [element, path] of loads) {
			const integrity = /\sintegrity="sha384-([A-Za-z0-9+/=]+)"/.exec(element)?.[1];
			expect(integrity, `${path} has no integrity attribute`).toBeDefined();
			const bytes = Buffer.from(await (await fetch(`${relay.url}${path}`)).arrayBuffer());
			expect(createHash("sha384").update(bytes).digest("base64"), path).toBe(integrity);
		}
		// No script the page could load without a pin: a lazily imported chunk is fetched without one.
		const scripts = (await readdir(join(DIST, "assets"))).filter((name) => name.endsWith(".js"));
		const pinned = new Set(loads.map(([, path]) => path));
		for (const script of scripts)
			expect(pinned, `assets/${script} is not pinned`).toContain(`/assets/${script}`);
		// script-src 'self' / style-src 'self' admit the pinned files; no hash or 'unsafe-inline' is needed.
		const policy = (await fetch(`${relay.url}/`)).headers.get("content-security-policy") ?? "";
		expect(policy).toContain("script-src 'self'");
		expect(policy).toContain("style-src 'self'");
	});

	it("verify-web: the local relay serves exactly this checkout's build (exit 0)", async () => {
		const human = await run(cli, ["verify-web", relay.url]);
		expect(human.code, human.stderr).toBe(EXIT_CODES.ok);
		expect(human.stdout).toMatch(/^same {4} index\.html$/m);
		expect(human.stdout).toMatch(/^same {4} Content-Security-Policy header$/m);
		expect(human.stdout).toContain(`The web app ${relay.url} serves is byte for byte your build`);
		expect(human.stdout).not.toMatch(/DIFFERS|MISSING|EXTRA/);

		const json = await run(cli, ["--json", "verify-web", relay.url, "--dist", DIST]);
		expect(json.code).toBe(EXIT_CODES.ok);
		const lines = jsonLines(json);
		const checked = lines.filter((line) => line.type === "file").map((line) => line.path);
		const built = [...(await files(DIST)).keys()].filter((path) => path !== "_headers");
		expect(checked.sort()).toEqual([...built, "Content-Security-Policy header"].sort());
		expect(lines.filter((line) => line.type === "file").every((line) => line.status === "same")).toBe(true);
		expect(lines.at(-1)).toMatchObject({ ok: true, url: relay.url });
	});

	it("verify-web: a server with one byte changed in the script is named (exit 11), and Chromium refuses that script", async () => {
		const copy = join(work, "changed-copy");
		await cp(DIST, copy, { recursive: true });
		const script = await mainScript(copy);
		const bytes = await readFile(join(copy, script));
		const at = bytes.length - 2;
		bytes[at] = (bytes[at] ?? 0) ^ 0x01;
		await writeFile(join(copy, script), bytes);
		const { url, server } = await serveCopy(copy);
		try {
			const human = await run(cli, ["verify-web", url]);
			expect(human.code).toBe(EXIT_CODES.webMismatch);
			expect(human.stdout).toMatch(
				new RegExp(`^DIFFERS {2}${script.replace(/[.]/g, "\\.")} \\(served sha256`, "m"),
			);
			expect(human.stdout).toMatch(/^same {4} index\.html$/m);
			expect(human.stderr).toContain(
				`error: The web app ${url} serves is not your build: ${script} differs.`,
			);
			expect(human.stderr).toContain("hint: ");

			const json = await run(cli, ["--json", "verify-web", url]);
			expect(json.code).toBe(EXIT_CODES.webMismatch);
			const lines = jsonLines(json);
			expect(lines.filter((line) => line.status === "differs").map((line) => line.path)).toEqual([script]);
			expect(lines.at(-1)).toMatchObject({
				ok: false,
				error: { code: "web_mismatch", exitCode: EXIT_CODES.webMismatch, differs: script },
			});

			// What a browser does with the same page: SRI refuses the changed script, so the app never runs.
			const page = await browser.newPage();
			const refused: string[] = [];
			page.on("console", (message) => {
				if (message.type() === "error") refused.push(message.text());
			});
			await page.goto(`${url}/`);
			await expect.poll(() => refused.join("\n")).toMatch(/integrity/i);
			expect(await page.locator("#app").textContent()).not.toContain("Phone number");
			await page.close();
		} finally {
			await closeServer(server);
		}
	});

	it("verify-web: a page that loads an extra script, and a weaker CSP, are named too", async () => {
		const copy = join(work, "extra-copy");
		await cp(DIST, copy, { recursive: true });
		const html = await readFile(join(copy, "index.html"), "utf8");
		await writeFile(
			join(copy, "index.html"),
			html.replace("</head>", '<script src="/steal.js"></script></head>'),
		);
		await writeFile(join(copy, "steal.js"), "/* sends your keys away */\n");
		await writeFile(
			join(copy, "_headers"),
			(await readFile(join(copy, "_headers"), "utf8")).replace("script-src 'self'", "script-src *"),
		);
		const { url, server } = await serveCopy(copy);
		try {
			const result = await run(cli, ["--json", "verify-web", url, "--dist", DIST]);
			expect(result.code).toBe(EXIT_CODES.webMismatch);
			const bad = jsonLines(result).filter((line) => line.type === "file" && line.status !== "same");
			expect(bad.map((line) => [line.path, line.status])).toEqual([
				["index.html", "differs"],
				["steal.js", "extra"],
				["Content-Security-Policy header", "differs"],
			]);
		} finally {
			await closeServer(server);
		}
	});

	it("verify-web: no build to compare with, or not a URL, is explained (exit 2)", async () => {
		const noBuild = await run(cli, ["verify-web", relay.url, "--dist", join(work, "nothing-here")]);
		expect(noBuild.code).toBe(EXIT_CODES.usage);
		expect(noBuild.stderr).toContain("There is no web build in");
		expect(noBuild.stderr).toContain("npm run build:web");
		const notUrl = await run(cli, ["verify-web", "friendly.example"]);
		expect(notUrl.code).toBe(EXIT_CODES.usage);
		expect(notUrl.stderr).toContain("is not a URL");
	});
});
