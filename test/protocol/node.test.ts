// Runs every protocol suite under vitest in Node. The same cases run in Chromium (chromium.test.ts).
import { describe, expect, it } from "vitest";
import { cryptoBackend } from "../../protocol/crypto/backend.ts";
import { suites } from "./suites.ts";
import { wycheproofEnv } from "./vectors.node.ts";

// The node project reuses its test processes across files (vitest.config.ts, isolate: false): this
// fails if another file's backend selection (node-backend.test.ts) leaked into this one.
it("runs with the default WebCrypto backend", () => {
	expect(cryptoBackend().name).toBe("webcrypto");
});

for (const suite of suites) {
	describe(suite.name, () => {
		for (const [name, run] of Object.entries(suite.cases)) {
			it(name, () => run(wycheproofEnv("node")));
		}
	});
}
