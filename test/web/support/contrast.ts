// A WCAG 2.1 AA text-contrast check over the rendered page (axe-core is not a dependency of this
// project, so this is the part of it the screens need): every visible, enabled element with text of its
// own, its computed text colour (with the opacity of it and its ancestors) against the background it
// sits on (the ancestors' background colours blended up to the first opaque one). Normal text needs
// 4.5:1, large text (24 px, or 18.66 px bold) 3:1. Background images are not considered (the app has none).
import type { Page } from "playwright-core";

export interface ContrastProblem {
	readonly text: string;
	readonly ratio: number;
	readonly required: number;
	readonly color: string;
	readonly background: string;
}

export function contrastProblems(page: Page): Promise<ContrastProblem[]> {
	return page.evaluate(() => {
		type Rgba = [number, number, number, number];
		const parse = (value: string): Rgba => {
			const match = value.match(/rgba?\(([^)]+)\)/);
			if (!match?.[1]) return [0, 0, 0, 0];
			const parts = match[1]
				.split(/[\s,/]+/)
				.filter(Boolean)
				.map(Number);
			return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 1];
		};
		const over = (top: Rgba, bottom: Rgba): Rgba => {
			const alpha = top[3] + bottom[3] * (1 - top[3]);
			if (alpha === 0) return [0, 0, 0, 0];
			const mix = (i: number) =>
				((top[i] ?? 0) * top[3] + (bottom[i] ?? 0) * bottom[3] * (1 - top[3])) / alpha;
			return [mix(0), mix(1), mix(2), alpha];
		};
		const luminance = ([r, g, b]: Rgba) => {
			const channel = (c: number) => {
				const s = c / 255;
				return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
			};
			return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
		};
		const background = (element: Element): Rgba => {
			const layers: Rgba[] = [];
			for (let node: Element | null = element; node; node = node.parentElement) {
				const layer = parse(getComputedStyle(node).backgroundColor);
				if (layer[3] > 0) layers.push(layer);
				if (layer[3] >= 1) break;
			}
			let result: Rgba = [255, 255, 255, 1];
			for (const layer of layers.reverse()) result = over(layer, result);
			return result;
		};
		const problems: ContrastProblem[] = [];
		for (const element of Array.from(document.body.querySelectorAll("*"))) {
			const ownText = Array.from(element.childNodes)
				.filter((node) => node.nodeType === Node.TEXT_NODE)
				.map((node) => node.textContent ?? "")
				.join("")
				.trim();
			if (!ownText) continue;
			if (element.closest("[disabled], [aria-hidden='true']")) continue;
			const style = getComputedStyle(element);
			const box = element.getBoundingClientRect();
			// Visually hidden text (1 px clipped boxes) and elements not rendered are not seen.
			if (box.width <= 1 || box.height <= 1 || style.visibility !== "visible") continue;
			if (element.checkVisibility && !element.checkVisibility({ opacityProperty: true })) continue;
			let opacity = 1;
			for (let node: Element | null = element; node; node = node.parentElement)
				opacity *= Number(getComputedStyle(node).opacity);
			const color = parse(style.color);
			const back = background(element);
			const shown = over([color[0], color[1], color[2], color[3] * opacity], back);
			const [light, dark] = [luminance(shown), luminance(back)].sort((a, b) => b - a) as [number, number];
			const ratio = (light + 0.05) / (dark + 0.05);
			const size = Number.parseFloat(style.fontSize);
			const bold = Number(style.fontWeight) >= 700;
			const required = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
			if (ratio < required) {
				problems.push({
					text: ownText.slice(0, 60),
					ratio: Math.round(ratio * 100) / 100,
					required,
					color: `rgba(${shown.map((v) => Math.round(v)).join(",")})`,
					background: `rgba(${back.map((v) => Math.round(v)).join(",")})`,
				});
			}
		}
		return problems;
	});
}

/** The contrast problems of the page in the light and in the dark colour scheme (labelled). */
export async function contrastProblemsInBothSchemes(page: Page): Promise<string[]> {
	const found: string[] = [];
	for (const scheme of ["light", "dark"] as const) {
		await page.emulateMedia({ colorScheme: scheme });
		await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
		for (const problem of await contrastProblems(page)) {
			found.push(
				`${scheme}: "${problem.text}" ${problem.ratio}:1 < ${problem.required}:1 (${problem.color} on ${problem.background})`,
			);
		}
	}
	await page.emulateMedia({ colorScheme: "light" });
	return found;
}
