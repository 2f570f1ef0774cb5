import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two kinds of tests, both against real components:
// - "workers": inside workerd with the real Worker and Durable Objects (Cloudflare's vitest plugin).
// - "node": Node-side tests — the protocol library, and integration tests that start the real Worker
//   (wrangler's test harness) and drive real clients (WebSockets, the CLI process, Chromium).
export default defineConfig({
	test: {
		reporters: ["default", "./test/support/summary-reporter.ts"],
		projects: [
			{
				plugins: [
					cloudflareTest({
						wrangler: { configPath: "./wrangler.toml" },
						// Small mailbox caps so the cap rules can be exercised in a few messages.
						miniflare: { bindings: { MAILBOX_MAX_MESSAGES: "20", MAILBOX_MAX_BYTES: "262144" } },
					}),
				],
				test: {
					name: "workers",
					// One file at a time: the files share the relay's per-address rate limits.
					maxWorkers: 1,
					include: ["test/worker/**/*.test.ts"],
					// Above the helpers' 5 s frame wait, so a missing frame is reported by name.
					testTimeout: 15_000,
				},
			},
			{
				test: {
					name: "node",
					environment: "node",
					// Most of these wait on real processes, sockets and Chromium rather than compute: three
					// files at a time keep a 2-core machine busy without starving the time-sensitive ones.
					maxWorkers: 3,
					include: ["test/**/*.test.ts"],
					exclude: ["test/worker/**"],
					testTimeout: 60_000,
					hookTimeout: 60_000,
				},
			},
		],
	},
});
