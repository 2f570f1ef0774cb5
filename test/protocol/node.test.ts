// Runs every protocol suite under vitest in Node. The same cases run in Chromium (chromium.test.ts).
import { describe, it } from "vitest";
import { suites } from "./suites.ts";
import { vectorStatus, wycheproofEnv } from "./vectors.node.ts";

const status = vectorStatus();

for (const suite of suites) {
	describe(suite.name, () => {
		for (const [name, run] of Object.entries(suite.cases)) {
			if (suite.needsVectors && status.kind === "skip") {
				it.skip(`${name} (Wycheproof vectors missing: ${status.reason})`, () => {});
				continue;
			}
			it(name, () => run(wycheproofEnv("node")));
		}
	});
}
