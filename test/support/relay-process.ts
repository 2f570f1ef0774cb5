// Starts the real relay (the Worker and its Durable Objects in workerd) for Node-side tests, through
// wrangler's test harness. Clients then connect over real HTTP and WebSockets on 127.0.0.1.
import { fileURLToPath } from "node:url";
import { createTestHarness } from "wrangler";

const CONFIG_PATH = fileURLToPath(new URL("../../wrangler.toml", import.meta.url));

export interface RunningRelay {
	url: string;
	close(): Promise<void>;
}

/**
 * Test relays allow back-to-back code requests for one phone (tests re-register phones to simulate
 * reinstalls); the spacing rule itself is tested inside workerd with the production default.
 */
const TEST_VARS = { CODE_RESEND_INTERVAL_SECONDS: "0", CODES_PER_HOUR: "100" };

export async function startRelay(
	options: { vars?: Record<string, string>; secrets?: Record<string, string> } = {},
): Promise<RunningRelay> {
	const server = createTestHarness({
		workers: [
			{
				configPath: CONFIG_PATH,
				vars: { ...TEST_VARS, ...options.vars },
				...(options.secrets ? { secrets: options.secrets } : {}),
			},
		],
	});
	const { url } = await server.listen();
	return {
		url: String(url).replace(/\/+$/, ""),
		close: () => server.close(),
	};
}
