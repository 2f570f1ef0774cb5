// The same protocol suites, run inside a real Chromium (headless, system /usr/bin/chromium through
// playwright-core): proves the library is portable to browsers. The suites are bundled with esbuild
// and served with the Wycheproof vectors from a throwaway HTTP server on 127.0.0.1 (crypto.subtle
// requires a secure context). One `it` per case, asserting that case's result from the browser.
import { existsSync, readFileSync } from "node:fs";
import type { Server, ServerResponse } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { bundleForBrowser, serveBundle } from "../support/browser-bundle.ts";
import type { BrowserResult } from "./browser-entry.ts";
import { describeRemoteResults } from "./remote-results.ts";
import { WYCHEPROOF_FILES, wycheproofDir } from "./vectors.node.ts";

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.FRIENDLY_CHROMIUM ?? "/usr/bin/chromium";
const results = new Map<string, BrowserResult>();
let server: Server | undefined;
let browser: Browser | undefined;
let setupError: unknown;

/** The Wycheproof files the page fetches (/vectors/<name>). */
function serveVector(path: string, response: ServerResponse): boolean {
	if (!path.startsWith("/vectors/")) return false;
	const name = decodeURIComponent(path.slice("/vectors/".length));
	const known = WYCHEPROOF_FILES.find((file) => file === name);
	const file = known ? resolve(wycheproofDir(), known) : undefined;
	if (!file || !existsSync(file)) return false;
	response.writeHead(200, { "content-type": "application/json" }).end(readFileSync(file));
	return true;
}

beforeAll(async () => {
	try {
		if (!existsSync(CHROMIUM))
			throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
		server = await serveBundle(
			await bundleForBrowser(resolve(here, "browser-entry.ts")),
			"protocol tests",
			serveVector,
		);
		const address = server.address();
		if (!address || typeof address === "string") throw new Error("the test server has no TCP address");
		const port = address.port;
		browser = await chromium.launch({
			executablePath: CHROMIUM,
			headless: true,
			args: [
				"--headless",
				"--no-sandbox",
				"--disable-gpu",
				"--disable-background-networking",
				"--disable-component-update",
				"--disable-sync",
			],
		});
		const page = await browser.newPage();
		const pageErrors: string[] = [];
		page.on("pageerror", (error) => pageErrors.push(error.message));
		await page.goto(`http://127.0.0.1:${port}/`);
		await page.waitForFunction(() => globalThis.__protocolDone === true, undefined, {
			timeout: 240_000,
			polling: 250,
		});
		const collected = await page.evaluate(() => globalThis.__protocolResults ?? []);
		for (const result of collected) results.set(`${result.suite}/${result.name}`, result);
		if (pageErrors.length > 0 && results.size === 0) throw new Error(`page errors: ${pageErrors.join("; ")}`);
	} catch (error) {
		setupError = error;
	}
}, 300_000);

afterAll(async () => {
	await browser?.close();
	await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
});

describeRemoteResults("chromium", () => ({ setupError, results }));
