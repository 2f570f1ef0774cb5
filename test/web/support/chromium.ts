// Finds Debian's Chromium and launches it headless through playwright-core (never a downloaded browser
// build). When no Chromium is installed the tests fail with what to install, instead of being skipped.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

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
