// Runs the crypto workload (crypto-workload.ts) inside headless Chromium, the web app's runtime
// (WebCrypto): bundles crypto-browser-entry.ts with esbuild, serves it from 127.0.0.1 (crypto.subtle
// needs a secure context) and reads the figures back. Debian's /usr/bin/chromium through
// playwright-core, as the web tests use it (test/web/support/chromium.ts).
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleForBrowser, serveBundle } from "../test/support/browser-bundle.ts";
import { launchChromium } from "../test/web/support/chromium.ts";
import type { ChromiumCryptoFigures } from "./crypto-browser-entry.ts";

const here = dirname(fileURLToPath(import.meta.url));

export interface ChromiumCounts {
	readonly messages: number;
	readonly pingPongs: number;
	readonly handshakes: number;
	readonly drain: number;
}

export async function benchCryptoInChromium(counts: ChromiumCounts): Promise<ChromiumCryptoFigures> {
	const server = await serveBundle(
		await bundleForBrowser(resolve(here, "crypto-browser-entry.ts")),
		"crypto bench",
	);
	const browser = await launchChromium();
	try {
		const address = server.address();
		if (!address || typeof address === "string") throw new Error("the bench server has no TCP address");
		const page = await browser.newPage();
		const query = new URLSearchParams(Object.entries(counts).map(([k, v]) => [k, String(v)]));
		// "commit", not "load": the page starts its work as soon as the module runs, and on a busy machine
		// the load event can wait behind it; the figures are awaited below.
		await page.goto(`http://127.0.0.1:${address.port}/?${query}`, { waitUntil: "commit" });
		await page.waitForFunction(() => globalThis.__cryptoBench !== undefined, undefined, {
			timeout: 600_000,
			polling: 500,
		});
		const result = await page.evaluate(() => globalThis.__cryptoBench);
		if (!result || "error" in result)
			throw new Error(`Chromium crypto bench failed: ${result?.error ?? "no result"}`);
		return result;
	} finally {
		await browser.close();
		await new Promise<void>((done) => server.close(() => done()));
	}
}
