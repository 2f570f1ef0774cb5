// WCAG 2.1 A and AA checks of the rendered page with axe-core (Deque's rule engine, the one browser
// extensions and CI tools use): accessible names and labels, valid ARIA, document structure, keyboard
// reach (scrollable regions), text contrast (4.5:1, large text 3:1) and more, run in the light and the
// dark colour scheme at phone and desktop width. axe's source is evaluated in the page through the
// DevTools protocol, which the page's CSP does not apply to (an inline <script> from
// page.addScriptTag would be refused by its `script-src 'self'`).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AxeResults, Result, RunOptions } from "axe-core";
import type { Page } from "playwright-core";
import { VIEWPORTS, type ViewportName } from "./screenshots.ts";

/** The WCAG 2.0 and 2.1 rules at levels A and AA. */
export const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] as const;

const RUN_OPTIONS: RunOptions = {
	runOnly: { type: "tag", values: [...WCAG_21_AA] },
	// Only violations and "needs review" are reported; passes are not collected node by node.
	resultTypes: ["violations", "incomplete"],
};

export type ColorScheme = "light" | "dark";

export interface AccessibilityOptions {
	readonly schemes?: readonly ColorScheme[];
	readonly widths?: readonly ViewportName[];
}

let axeSource: string | undefined;

function source(): string {
	axeSource ??= readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
	return axeSource;
}

interface Finding {
	readonly id: string;
	readonly impact: string;
	readonly nodes: readonly {
		readonly target: string;
		readonly summary: string;
		readonly reasons: string[];
	}[];
}

/** One line per element that fails a rule: the state, rule id, impact, selector and what to fix. */
function describe(findings: readonly Finding[], state: string, note: string): string[] {
	return findings.flatMap(({ id, impact, nodes }) =>
		nodes.map(({ target, summary }) => `${state}: ${id} (${impact}${note}) at ${target}: ${summary}`),
	);
}

/**
 * Runs axe-core's WCAG 2.1 A/AA rules on the page as it is rendered now and returns the problems, one
 * readable line per element. Contrast axe could not decide (text over an image or a gradient, overlap)
 * counts as a problem too: the standard is "at least 4.5:1", not "probably". The one exception is a
 * glyph that is not text (axe's `nonBmp`: a symbol such as the "✓" of the Verified tag, drawn in the
 * colour of the text beside it), which WCAG's text contrast does not cover.
 */
export async function axeProblems(page: Page, state = "page"): Promise<string[]> {
	if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(source());
	const { violations, incomplete } = await page.evaluate(async (options) => {
		const axe: { run(context: Document, options: unknown): Promise<AxeResults> } = Reflect.get(window, "axe");
		const results = await axe.run(document, options);
		// Only what the report needs crosses back to Node (the results hold DOM references).
		const findings = (list: Result[]) =>
			list.map((result) => ({
				id: result.id,
				impact: result.impact ?? "unknown",
				nodes: result.nodes.map((node) => ({
					target: node.target.join(" "),
					reasons: [...node.any, ...node.all, ...node.none].map((check) =>
						String(Reflect.get(Object(check.data), "messageKey") ?? check.id),
					),
					summary: (
						node.failureSummary ??
						[...node.any, ...node.all, ...node.none].map((check) => check.message).join(" ")
					)
						.replace(/\s+/g, " ")
						.trim(),
				})),
			}));
		return { violations: findings(results.violations), incomplete: findings(results.incomplete) };
	}, RUN_OPTIONS);
	return [
		...describe(violations, state, ""),
		...describe(
			incomplete
				.filter((finding) => finding.id.startsWith("color-contrast"))
				.map((finding) => ({
					...finding,
					nodes: finding.nodes.filter(
						(node) => !(node.reasons.length > 0 && node.reasons.every((reason) => reason === "nonBmp")),
					),
				})),
			state,
			", needs review",
		),
	];
}

/**
 * Waits until the page lays out at `width` in `scheme`. It reads layout rather than waiting for a frame:
 * a tab in the background (another tab of the profile in front) gets about one frame a second.
 */
function settle(page: Page, width: number, scheme: ColorScheme): Promise<unknown> {
	return page.waitForFunction(
		([width, dark]) => {
			document.body.getBoundingClientRect();
			return window.innerWidth === width && matchMedia("(prefers-color-scheme: dark)").matches === dark;
		},
		[width, scheme === "dark"] as const,
		{ polling: 20 },
	);
}

/**
 * The screen's problems in the light and the dark colour scheme, at 390 px and at 1280 px (by default),
 * each line prefixed with the state it was seen in. The page's width and scheme are put back after.
 */
export async function accessibilityProblems(
	page: Page,
	screen: string,
	{ schemes = ["light", "dark"], widths = ["phone", "desktop"] }: AccessibilityOptions = {},
): Promise<string[]> {
	const originalSize = page.viewportSize();
	const originalScheme: ColorScheme = (await page.evaluate(
		() => matchMedia("(prefers-color-scheme: dark)").matches,
	))
		? "dark"
		: "light";
	const problems: string[] = [];
	try {
		for (const width of widths) {
			const size = VIEWPORTS[width];
			await page.setViewportSize(size);
			for (const scheme of schemes) {
				await page.emulateMedia({ colorScheme: scheme });
				await settle(page, size.width, scheme);
				problems.push(...(await axeProblems(page, `${screen}, ${scheme}, ${size.width} px`)));
			}
		}
	} finally {
		if (originalSize) await page.setViewportSize(originalSize);
		await page.emulateMedia({ colorScheme: originalScheme });
		if (originalSize) await settle(page, originalSize.width, originalScheme);
	}
	return problems;
}

/** Fails with the list of WCAG 2.1 AA violations of the screen, in both schemes and at both widths. */
export async function expectAccessible(
	page: Page,
	screen: string,
	options: AccessibilityOptions = {},
): Promise<void> {
	const problems = await accessibilityProblems(page, screen, options);
	if (problems.length > 0) {
		throw new Error(
			`${screen}: ${problems.length} WCAG 2.1 AA problem(s) found by axe-core:\n${problems.map((line) => `  - ${line}`).join("\n")}`,
		);
	}
}
