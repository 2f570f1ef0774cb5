// Runs every protocol suite under vitest in Node. The same cases run in Chromium (chromium.test.ts).
import { describe, it } from "vitest";
import { suites } from "./suites.ts";
import { wycheproofEnv } from "./vectors.node.ts";

for (const suite of suites) {
	describe(suite.name, () => {
		for (const [name, run] of Object.entries(suite.cases)) {
			it(name, () => run(wycheproofEnv("node")));
		}
	});
}
