import { defineConfig } from "vitest/config";

// The fast tier (`npm run test:fast`, docs/TESTING.md): in-process tests for the edit-test loop — the
// relay client on fake sockets and timers, the Messenger against an in-memory fake relay, the CLI
// commands through Runtime(io), and the protocol suites in Node. Under a minute on two cores. The same
// files also run in `npm test` (its "node" project includes test/**), once, beside their end-to-end twins.
export default defineConfig({
	test: {
		name: "fast",
		environment: "node",
		include: ["test/fast/**/*.test.ts", "test/protocol/node.test.ts"],
		// Two files at a time on a two-core machine (the protocol suites are the longest file, ~10 s).
		maxWorkers: 2,
		reporters: ["default", "./test/support/summary-reporter.ts"],
		testTimeout: 30_000,
		hookTimeout: 30_000,
	},
});
