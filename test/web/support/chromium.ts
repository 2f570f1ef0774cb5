// Finds Debian's Chromium and launches it headless through playwright-core (never a downloaded browser
// build). When no Chromium is installed the tests fail with what to install, instead of being skipped.
import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium } from "playwright-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export function findChromium(): string {
	const fromEnv = process.env.CHROMIUM_PATH;
	if (fromEnv) {
		if (!existsSync(fromEnv)) {
			throw new Error(
				`CHROMIUM_PATH is set to ${fromEnv}, but there is no file there. Point it at a Chromium or Chrome ` +
					"binary, or unset it and install Debian's Chromium: `sudo apt-get install chromium`.",
			);
		}
		return fromEnv;
	}
	const found = CANDIDATES.find((path) => existsSync(path));
	if (!found) {
		throw new Error(
			"The browser tests need Chromium, and none was found (looked at CHROMIUM_PATH and " +
				`${CANDIDATES.join(", ")}). Install it with \`sudo apt-get install chromium\` on Debian/Ubuntu ` +
				"(CI's .ci/run does this), or point CHROMIUM_PATH at a Chromium or Chrome binary.",
		);
	}
	return found;
}

export function launchChromium(): Promise<Browser> {
	return chromium.launch({
		executablePath: findChromium(),
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
}

/** Where the test process keeps its one Chromium: on globalThis, so it outlives each file's module state. */
const SHARED = Symbol.for("friendly.test.sharedChromium");

function processChromium(): Promise<Browser> {
	const holder = globalThis as { [SHARED]?: Promise<Browser> };
	const current = holder[SHARED];
	if (current) {
		return current.then(
			(browser) => (browser.isConnected() ? browser : relaunch()),
			() => relaunch(),
		);
	}
	return relaunch();
	function relaunch(): Promise<Browser> {
		const launched = launchChromium();
		holder[SHARED] = launched;
		return launched;
	}
}

/**
 * The browser for one test file: the test process's one Chromium (vitest runs file after file in the
 * same process, vitest.config.ts), launched on first use and again if it went away, seen through a
 * handle whose `close()` closes the contexts this file opened instead of the browser. A file's users
 * are browser contexts (own storage, cookies, service workers), so nothing of one file's reaches the
 * next; what is shared is the launch, about 2 CPU-seconds and a few seconds' wall per file. Playwright
 * ends the browser when the process exits. Use `launchChromium()` for a browser of your own.
 */
export async function fileBrowser(): Promise<Browser> {
	const browser = await processChromium();
	const opened = new Set<BrowserContext>();
	const track = (context: BrowserContext) => {
		opened.add(context);
		context.once("close", () => opened.delete(context));
		return context;
	};
	return new Proxy(browser, {
		get(target, property) {
			if (property === "newContext") {
				return async (...args: Parameters<Browser["newContext"]>) => track(await target.newContext(...args));
			}
			if (property === "newPage") {
				return async (...args: Parameters<Browser["newPage"]>) => {
					const page = await target.newPage(...args);
					track(page.context());
					return page;
				};
			}
			if (property === "close") {
				return async () => {
					await Promise.all([...opened].map((context) => context.close().catch(() => undefined)));
				};
			}
			const value: unknown = Reflect.get(target, property, target);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
}
