// Prints one plain closing line, "N passed, N failed, N skipped", after vitest's own summary, so CI
// logs say in one line how many tests ran (vitest's default summary is decorated and split). Every
// test skipped in the code (it.skip, skipIf, describe.skip, todo, or ctx.skip(reason) at run time) is
// named above it with the reason, so a skip is never silent; tests left out by a name filter (-t)
// are only counted.
import { relative } from "node:path";
import type { Reporter, TestCase, TestModule, Vitest } from "vitest/node";

export default class SummaryReporter implements Reporter {
	private namePattern: RegExp | undefined;

	onInit(vitest: Vitest): void {
		this.namePattern = vitest.config.testNamePattern;
	}

	/** Why a skipped test did not run, or null when it was merely not selected by -t. */
	private skipReason(test: TestCase): string | null {
		const result = test.result();
		if (result.state === "skipped" && result.note) return result.note;
		if (this.namePattern && !this.namePattern.test(test.fullName.replaceAll(" > ", " "))) return null;
		switch (test.options.mode) {
			case "todo":
				return "todo (not written yet)";
			case "skip":
				return "marked skip (it.skip / skipIf / describe.skip, or left out by an .only), no reason given";
			default:
				return "never ran (the run was cut short)";
		}
	}

	onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
		let passed = 0;
		let failed = 0;
		let skipped = 0;
		let unselected = 0;
		const named: string[] = [];
		for (const module of testModules) {
			for (const test of module.children.allTests()) {
				const state = test.result().state;
				if (state === "passed") passed += 1;
				else if (state === "failed") failed += 1;
				else {
					skipped += 1;
					const reason = this.skipReason(test);
					if (reason === null) unselected += 1;
					else
						named.push(
							`  ${relative(process.cwd(), module.moduleId)} > ${test.fullName}\n      why: ${reason}`,
						);
				}
			}
			if (module.state() === "failed" && module.children.size === 0) failed += 1;
		}
		const lines: string[] = [];
		if (named.length > 0) lines.push(`\nSkipped (${named.length}):`, ...named);
		const filtered = unselected > 0 ? ` (${unselected} not selected by -t)` : "";
		lines.push(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped${filtered}` : ""}`);
		process.stdout.write(`${lines.join("\n")}\n`);
	}
}
