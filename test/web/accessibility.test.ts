// WCAG 2.1 AA with axe-core (test/web/support/axe.ts): first that the check finds what it should (a
// page with known violations), then the screens no other browser test reaches: the connection banners
// for a connection taken over elsewhere and for a newer relay, and the app's own "cannot start" screens. The chat screens are checked where the other tests show them (registration,
// lists, conversations, contact details, key changes, banners, tab screens), in the light and the dark
// scheme at 390 and 1280 px.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOSE_CODES } from "../../protocol/wire/errors.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { accessibilityProblems, expectAccessible } from "./support/axe.ts";
import { fileBrowser } from "./support/chromium.ts";
import { WebUser } from "./support/web-user.ts";

const PHONE = "+15555550701";

let relay: RunningRelay;
let browser: Browser;

beforeAll(async () => {
	[relay, browser] = await Promise.all([startRelay(), fileBrowser()]);
}, 120_000);
afterAll(async () => {
	await browser?.close();
	await relay?.close();
});

/** A fresh profile at desktop width with `init` run before the app's scripts. */
async function openWith(init: () => void): Promise<{ page: Page; close: () => Promise<void> }> {
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	await context.addInitScript(init);
	const page = await context.newPage();
	await page.goto(`${relay.url}/`);
	return { page, close: () => context.close() };
}

describe("accessibility (axe-core, WCAG 2.1 AA)", () => {
	it("the check reports known violations, in each colour scheme and at each width", async () => {
		const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
		try {
			const page = await context.newPage();
			await page.setContent(`<!doctype html>
				<html lang="en"><head><title>Known violations</title>
				<style>
					body { color: #14171c; background: #ffffff; }
					#dark-only { color: #595959; }
					#narrow-only { color: #595959; }
					@media (prefers-color-scheme: dark) { #dark-only { color: #3a3a3a; background: #222222; } }
					@media (max-width: 420px) { #narrow-only { color: #b0b0b0; } }
				</style></head>
				<body><main>
					<h1>Known violations</h1>
					<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="20" height="20">
					<p id="faint" style="color: #aaaaaa">Light grey on white, 2.3:1</p>
					<p id="dark-only">Too faint in the dark scheme only</p>
					<p id="narrow-only">Too faint at phone width only</p>
				</main></body></html>`);
			const problems = await accessibilityProblems(page, "known violations");
			const lines = (target: string) => problems.filter((line) => line.includes(` at ${target}: `));
			// Each line names the state, the rule, its impact, the element and what to fix.
			expect(lines("img")).toHaveLength(4);
			expect(lines("img")[0]).toMatch(
				/^known violations, light, 390 px: image-alt \(critical\) at img: Fix any of the following: Element does not have an alt attribute/,
			);
			expect(lines("#faint")).toHaveLength(4);
			expect(lines("#faint")[0]).toMatch(
				/^known violations, light, 390 px: color-contrast \(serious\) at #faint: .*insufficient color contrast of 2\.3/,
			);
			// The colour scheme and the width really change between the runs.
			expect(lines("#dark-only").map((line) => line.split(":")[0])).toEqual([
				"known violations, dark, 390 px",
				"known violations, dark, 1280 px",
			]);
			expect(lines("#narrow-only").map((line) => line.split(":")[0])).toEqual([
				"known violations, light, 390 px",
				"known violations, dark, 390 px",
			]);
			expect(problems).toHaveLength(12);
			// The assertion form fails with the same lines, under the screen's name.
			await expect(expectAccessible(page, "known violations")).rejects.toThrow(
				/^known violations: 12 WCAG 2\.1 AA problem\(s\) found by axe-core:\n {2}- known violations, light, 390 px: /,
			);
			// The page is back at its own width and scheme, and with the problems fixed it passes.
			expect(page.viewportSize()).toEqual({ width: 1280, height: 800 });
			expect(await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches)).toBe(false);
			await page.locator("img").evaluate((img) => img.setAttribute("alt", "A dot"));
			await page.locator("#faint").evaluate((text) => text.setAttribute("style", "color: #595959"));
			await page.addStyleTag({
				content: `@media (prefers-color-scheme: dark) { body { color: #e8ebf0; background: #0f1217; } #dark-only, #narrow-only, #faint { color: #c0c0c0 !important; } }
					@media (max-width: 420px) { #narrow-only { color: #595959; } }`,
			});
			await expectAccessible(page, "fixed");
		} finally {
			await context.close();
		}
	});

	it("the connection banners no other test shows: connected elsewhere, newer relay", async () => {
		const user = await WebUser.open(browser, relay.url, "desktop");
		try {
			await user.register(PHONE);
			await user.closeFromRelay(CLOSE_CODES.replaced, "replaced");
			await user.page.getByRole("button", { name: "Connect again" }).waitFor();
			await expectAccessible(user.page, "stopped banner: connected elsewhere");
			await user.page.getByRole("button", { name: "Connect again" }).click();
			await user.expectOnline();
			await user.closeFromRelay(CLOSE_CODES.unsupportedProtocol, "unsupported protocol");
			await user.page.getByRole("button", { name: "Reload" }).waitFor();
			await expectAccessible(user.page, "stopped banner: newer relay");
			expect(user.pageErrors).toEqual([]);
		} finally {
			await user.close();
		}
	});

	it("FriendLy cannot start (its storage does not open)", async () => {
		const { page, close } = await openWith(() => {
			IDBFactory.prototype.open = () => {
				throw new DOMException("The storage is not available.", "UnknownError");
			};
		});
		try {
			await page.getByRole("heading", { name: "FriendLy cannot start" }).waitFor();
			await expectAccessible(page, "cannot start");
		} finally {
			await close();
		}
	});

	it("FriendLy needs a secure page", async () => {
		const { page, close } = await openWith(() => {
			Object.defineProperty(window, "isSecureContext", { value: false });
		});
		try {
			await page.getByRole("heading", { name: "FriendLy needs a secure page" }).waitFor();
			await expectAccessible(page, "needs a secure page");
		} finally {
			await close();
		}
	});
});
