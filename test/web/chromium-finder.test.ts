// The browser tests find Debian's Chromium (or CHROMIUM_PATH) and, when there is none, fail with what
// to install rather than being skipped.
import { afterEach, describe, expect, it } from "vitest";
import { findChromium } from "./support/chromium.ts";

const saved = process.env.CHROMIUM_PATH;
afterEach(() => {
	if (saved === undefined) delete process.env.CHROMIUM_PATH;
	else process.env.CHROMIUM_PATH = saved;
});

describe("finding Chromium", () => {
	it("finds the installed Chromium", () => {
		delete process.env.CHROMIUM_PATH;
		expect(findChromium()).toMatch(/chrom/);
	});

	it("fails with what to do when the configured browser is missing", () => {
		process.env.CHROMIUM_PATH = "/nonexistent/chromium";
		expect(() => findChromium()).toThrow(
			/CHROMIUM_PATH is set to \/nonexistent\/chromium.*apt-get install chromium/s,
		);
	});
});
