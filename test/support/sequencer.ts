// The order vitest starts the node project's files in. With durations from an earlier run in vitest's
// cache it starts the longest first; without them (a fresh clone, CI) it goes by file size, largest
// first. File size is a fair guess for the scenario files, but not for the small files that run the
// protocol suites in Node, Chromium and workerd (test/protocol/{node,node-backend,chromium,workerd}.test.ts,
// under 4 kB each, 10–50 s each): by size they started last, and the run ended with them on one or two
// busy cores and the rest idle. Here a test file next to the suites (*.suite.ts) weighs its own size
// plus theirs.
import { readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { TestSpecification } from "vitest/node";
import { BaseSequencer } from "vitest/node";

/** Source bytes a test file stands for: its own, plus those of the suites beside it. */
export function fileWeight(path: string): number {
	const directory = dirname(path);
	let weight = statSync(path).size;
	for (const name of readdirSync(directory)) {
		if (name.endsWith(".suite.ts")) weight += statSync(join(directory, name)).size;
	}
	return weight;
}

export default class WeightedSequencer extends BaseSequencer {
	override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
		const sorted = await super.sort(files);
		const root = this.ctx.config.root;
		const measured = (file: TestSpecification) =>
			this.ctx.cache.getFileTestResults(`${file.project.name}:${relative(root, file.moduleId)}`) !==
			undefined;
		// Durations for every file: vitest's order (longest first) stands.
		if (sorted.every(measured)) return sorted;
		const weights = new Map(sorted.map((file) => [file, fileWeight(file.moduleId)]));
		const projects = [...new Set(sorted.map((file) => file.project.name))];
		return [...sorted].sort(
			(a, b) =>
				projects.indexOf(a.project.name) - projects.indexOf(b.project.name) ||
				(weights.get(b) ?? 0) - (weights.get(a) ?? 0),
		);
	}
}
