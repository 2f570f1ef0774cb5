// `friendly verify-web <url>`: checks that the web app a relay serves is the one built from your own
// checkout (docs/SECURITY.md §The web client's trust model). The relay operator serves the browser app,
// so they could serve a changed one; the build is reproducible, so the same source gives the same bytes,
// and this command fetches index.html and every file of the build from the relay and compares them byte
// for byte with client-web/dist (`npm run build:web`), naming each file that differs. index.html pins its
// scripts and styles with Subresource Integrity, so a browser that got the same index.html runs the same
// code. It also checks that the relay still sends the app's Content-Security-Policy (client-web/public/
// _headers): a weaker one would let a changed page load script from elsewhere.
//
// Nothing here needs a profile, keys or an account: it only reads what the relay serves to anyone.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { Command } from "commander";
import * as v from "valibot";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { Runtime } from "../run.ts";

const DEFAULT_DIST = join("client-web", "dist");
const FETCH_TIMEOUT_MS = 15_000;
/** The host's configuration for the build (headers), not a file it serves: compared through its effect. */
const HEADERS_FILE = "_headers";

const Options = v.object({ dist: v.optional(v.string()) });

type FileStatus = "same" | "differs" | "missing" | "extra";

interface FileResult {
	/** Path in the build, "index.html" for the page served at "/". */
	path: string;
	status: FileStatus;
	/** SHA-256 (hex) of the file in your build, and of what the relay served. */
	expected?: string;
	served?: string;
	/** What was wrong, in words (status code, another origin, a header). */
	note?: string;
}

export function verifyWebCommand(runtime: Runtime): Command {
	return new Command("verify-web")
		.description("check that the web app a relay serves is byte for byte your own build (client-web/dist)")
		.argument("<url>", "the relay's address, e.g. https://friendly.example.com")
		.option("--dist <dir>", `your build of the web app (default: ${DEFAULT_DIST} in this directory)`)
		.action((url: string, _options: unknown, command: Command) =>
			runtime.run(command, (context) => verifyWeb(context, url, Runtime.options(Options, command).dist)),
		);
}

async function verifyWeb(
	context: CliContext,
	urlText: string,
	distOption: string | undefined,
): Promise<void> {
	const base = relayBase(urlText);
	const dist = resolve(distOption ?? DEFAULT_DIST);
	const local = await readBuild(dist);
	const output = context.output;
	if (!output.json) output.notice(`Comparing ${base} with your build in ${dist} (${local.size} files)…`);

	const results: FileResult[] = [];
	const index = await fetchFile(base, "index.html");
	results.push(compare("index.html", local.get("index.html"), index));
	for (const path of [...local.keys()].sort()) {
		if (path === "index.html" || path === HEADERS_FILE) continue;
		results.push(compare(path, local.get(path), await fetchFile(base, path)));
	}
	// What the served page loads that your build does not have (a changed page's extra script).
	if (index.body) {
		for (const reference of references(new TextDecoder().decode(index.body), base)) {
			if (reference.external) {
				results.push({ path: reference.path, status: "extra", note: "loaded from another origin" });
			} else if (!local.has(reference.path)) {
				const served = await fetchFile(base, reference.path);
				results.push({
					path: reference.path,
					status: "extra",
					...(served.body ? { served: sha256(served.body) } : {}),
					note: "not in your build",
				});
			}
		}
	}
	const policy = local.get(HEADERS_FILE);
	if (policy) results.push(comparePolicy(new TextDecoder().decode(policy), index.policy));

	const bad = results.filter((result) => result.status !== "same");
	if (output.json) {
		for (const result of results) output.writeJson({ type: "file", ...result });
	} else {
		output.result(
			results.map((result) => `${label(result.status, output.style)}  ${result.path}${describe(result)}`),
			{},
		);
	}
	if (bad.length > 0) {
		throw new CliError(
			EXIT_CODES.webMismatch,
			"web_mismatch",
			`The web app ${base} serves is not your build: ${bad.map((result) => result.path).join(", ")} ${bad.length === 1 ? "differs" : "differ"}.`,
			"Do not use this relay's web app until its operator explains the difference (or rebuild from the same commit they run and check again). The CLI does not use the web app and is not affected.",
			{ url: base, differs: bad.map((result) => result.path).join(",") },
		);
	}
	output.result(`The web app ${base} serves is byte for byte your build (${results.length} checks).`, {
		ok: true,
		url: base,
		dist,
		files: results.length,
	});
}

function relayBase(text: string): string {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new CliError(
			EXIT_CODES.usage,
			"invalid_url",
			`"${text.slice(0, 100)}" is not a URL.`,
			"Give the address you open the web app at, e.g. friendly verify-web https://friendly.example.com",
		);
	}
	if (url.protocol !== "http:" && url.protocol !== "https:") {
		throw new CliError(EXIT_CODES.usage, "invalid_url", "The address must be an http:// or https:// URL.");
	}
	return url.origin;
}

/** Every file of the build, by its path relative to the build directory with "/" separators. */
async function readBuild(dist: string): Promise<Map<string, Uint8Array>> {
	let names: string[];
	try {
		names = (await readdir(dist, { recursive: true, withFileTypes: true }))
			.filter((entry) => entry.isFile())
			.map((entry) => relative(dist, join(entry.parentPath, entry.name)));
	} catch {
		names = [];
	}
	if (!names.includes("index.html")) {
		throw new CliError(
			EXIT_CODES.usage,
			"no_web_build",
			`There is no web build in ${dist}.`,
			"Run `npm run build:web` in your FriendLy checkout (at the commit the relay runs) and run this there, or pass --dist <dir>.",
		);
	}
	const files = new Map<string, Uint8Array>();
	for (const name of names) files.set(name.split(sep).join("/"), await readFile(join(dist, name)));
	return files;
}

interface Served {
	body?: Uint8Array;
	status?: number;
	policy?: string | null;
}

async function fetchFile(base: string, path: string): Promise<Served> {
	// index.html is served at "/" (the host redirects /index.html there).
	const url = `${base}/${path === "index.html" ? "" : path.split("/").map(encodeURIComponent).join("/")}`;
	let response: Response;
	try {
		response = await fetch(url, {
			cache: "no-store",
			redirect: "manual",
			signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
		});
	} catch (error) {
		throw new CliError(
			EXIT_CODES.serverUnreachable,
			"server_unreachable",
			`Could not fetch ${url}: ${error instanceof Error ? error.message : String(error)}.`,
			"Check the address and your connection.",
		);
	}
	if (response.status !== 200) {
		await response.body?.cancel();
		return { status: response.status };
	}
	return {
		body: new Uint8Array(await response.arrayBuffer()),
		status: 200,
		policy: response.headers.get("content-security-policy"),
	};
}

function compare(path: string, expected: Uint8Array | undefined, served: Served): FileResult {
	const mine = expected ? sha256(expected) : undefined;
	if (!served.body) {
		return {
			path,
			status: "missing",
			...(mine ? { expected: mine } : {}),
			note: `the relay answered ${served.status}`,
		};
	}
	const theirs = sha256(served.body);
	return {
		path,
		status: theirs === mine ? "same" : "differs",
		...(mine ? { expected: mine } : {}),
		served: theirs,
	};
}

/** The Content-Security-Policy your build asks for (_headers, "/*") against the one sent with the page. */
function comparePolicy(headersFile: string, served: string | null | undefined): FileResult {
	const wanted = /^\s+Content-Security-Policy:\s*(.+?)\s*$/im.exec(headersFile)?.[1];
	const path = "Content-Security-Policy header";
	if (!wanted) return { path, status: "same", note: "your build sets none" };
	if (served?.trim() === wanted) return { path, status: "same" };
	return { path, status: "differs", note: served ? `served: ${served.slice(0, 200)}` : "not sent" };
}

/** Same-origin paths (and other origins) the page loads through src= and href= attributes. */
function references(html: string, base: string): { path: string; external: boolean }[] {
	const found = new Map<string, boolean>();
	for (const match of html.matchAll(/\s(?:src|href)\s*=\s*["']([^"']+)["']/gi)) {
		const target = match[1] ?? "";
		let url: URL;
		try {
			url = new URL(target, `${base}/`);
		} catch {
			continue;
		}
		if (url.protocol !== "http:" && url.protocol !== "https:") continue;
		if (url.origin !== base) found.set(url.href, true);
		else if (url.pathname !== "/") found.set(decodeURIComponent(url.pathname.slice(1)), false);
	}
	return [...found].map(([path, external]) => ({ path, external }));
}

function sha256(bytes: Uint8Array): string {
	return createHash("sha256").update(bytes).digest("hex");
}

function label(status: FileStatus, style: CliContext["output"]["style"]): string {
	switch (status) {
		case "same":
			return style.green("same   ");
		case "differs":
			return style.red("DIFFERS");
		case "missing":
			return style.red("MISSING");
		case "extra":
			return style.red("EXTRA  ");
	}
}

function describe(result: FileResult): string {
	if (result.note) return ` (${result.note})`;
	if (result.status === "differs")
		return ` (served sha256 ${result.served?.slice(0, 16)}…, your build ${result.expected?.slice(0, 16)}…)`;
	return "";
}
