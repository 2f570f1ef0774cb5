import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import WeightedSequencer from "./test/support/sequencer.ts";

/** The relay's one-line request log (worker/http/access-log.ts), e.g. "GET /v1/keys/:phone 200 3ms". */
const REQUEST_LOG_LINE = /^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) (\/\S*|\(no route\)) \d{3} \d+ms\s*$/;

// Two kinds of tests, both against real components:
// - "workers": inside workerd with the real Worker and Durable Objects (Cloudflare's vitest plugin).
// - "node": Node-side tests — the protocol library, and integration tests that start the real Worker
//   (wrangler's test harness) and drive real clients (WebSockets, the CLI process, Chromium).
export default defineConfig({
	test: {
		// A line per request would drown the workers tests' output (the Worker runs in their isolate);
		// test/worker/request-log.test.ts reads those lines with a spy. Root level: a project's own
		// onConsoleLog is not consulted.
		onConsoleLog: (log) => !REQUEST_LOG_LINE.test(log),
		reporters: ["default", "./test/support/summary-reporter.ts"],
		// Without recorded durations (a fresh clone), the files that run every protocol suite first
		// among the large ones instead of last among the small ones (test/support/sequencer.ts).
		sequence: { sequencer: WeightedSequencer },
		projects: [
			{
				plugins: [
					cloudflareTest({
						wrangler: { configPath: "./wrangler.toml" },
						// Small mailbox caps so the cap rules can be exercised in a few messages (attachments likewise). Push on, with a
						// VAPID pair made for these tests only (test/worker/push.test.ts); it signs nothing real.
						miniflare: {
							bindings: {
								MAILBOX_MAX_MESSAGES: "20",
								MAILBOX_MAX_BYTES: "262144",
								// Small attachment limits so the limit and both quotas are reached in a few uploads.
								ATTACHMENT_MAX_BYTES: "1048576",
								ATTACHMENTS_PER_DAY: "5",
								ATTACHMENT_BYTES_PER_DAY: "3145728",
								VAPID_PUBLIC_KEY:
									"BPebP7OUMMqETzPaAW0yI-bXpKhmJoMO9a9q1No_hp6DDDVYgrmyu1661THpUhU5dTYWldNg3CR-mFxQLzO2p6Q",
								VAPID_PRIVATE_KEY: "jnpVwZMP2mxGvT3hOe6i_Ep6OmJ8eKyJYgyiSAYq87M",
								VAPID_SUBJECT: "mailto:relay-tests@example.org",
							},
						},
					}),
				],
				test: {
					name: "workers",
					// One workerd for the whole project, file after file, instead of a new one (Miniflare set
					// up, workerd started, the Worker's modules loaded) per file: about 2.5 CPU-seconds a file.
					// The files share that relay's storage, so each makes its own phones and addresses
					// (helpers/phones.ts, helpers/http.ts: counters unique over the run, not per file).
					isolate: false,
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
					// Each of the three test processes runs file after file without being restarted, so
					// what a file imports from node_modules (wrangler alone is about 2.5 CPU-seconds) is
					// loaded once per process instead of once per file. Every file still starts and stops
					// its own relay, browser and CLI processes in its hooks, and none changes globals.
					isolate: false,
					// Built once per run instead of once per file (test/support/cli-bundle.ts).
					globalSetup: ["./test/support/global-setup.ts"],
					include: ["test/**/*.test.ts"],
					exclude: ["test/worker/**"],
					testTimeout: 60_000,
					hookTimeout: 60_000,
				},
			},
		],
	},
});
