// Starts the real relay (the Worker and its Durable Objects in workerd) for Node-side tests, through
// wrangler's test harness. Clients then connect over real HTTP and WebSockets on 127.0.0.1.
import { fileURLToPath } from "node:url";
import { createTestHarness } from "wrangler";

const CONFIG_PATH = fileURLToPath(new URL("../../wrangler.toml", import.meta.url));

export interface RunningRelay {
	url: string;
	close(): Promise<void>;
}

export async function startRelay(
	options: { vars?: Record<string, string>; secrets?: Record<string, string> } = {},
): Promise<RunningRelay> {
	const server = createTestHarness({
		workers: [
			{
				configPath: CONFIG_PATH,
				...(options.vars ? { vars: options.vars } : {}),
				...(options.secrets ? { secrets: options.secrets } : {}),
			},
		],
	});
	const { url } = await server.listen();
	return { url: String(url).replace(/\/+$/, ""), close: () => server.close() };
}
