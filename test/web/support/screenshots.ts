// Screenshots of the main screens at phone and desktop widths, for people to look at the UI. They go to
// test-results/screenshots/ (gitignored).
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";

export const SCREENSHOT_DIR = fileURLToPath(new URL("../../../test-results/screenshots/", import.meta.url));

export const VIEWPORTS = {
	phone: { width: 390, height: 844 },
	desktop: { width: 1280, height: 800 },
} as const;

export type ViewportName = keyof typeof VIEWPORTS;

/** The same screen at phone and at desktop width (`phone-<name>.png`, `desktop-<name>.png`). */
export async function screenshotBoth(page: Page, name: string): Promise<void> {
	const original = page.viewportSize();
	for (const [width, size] of Object.entries(VIEWPORTS)) {
		await page.setViewportSize(size);
		await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
		await screenshot(page, `${width}-${name}`);
	}
	if (original) await page.setViewportSize(original);
}

export async function screenshot(page: Page, name: string): Promise<string> {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	const path = `${SCREENSHOT_DIR}${name}.png`;
	await page.screenshot({ path });
	return path;
}
