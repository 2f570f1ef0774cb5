// Bundled by chromium.test.ts (esbuild) and run inside a real Chromium page served from 127.0.0.1:
// runs every suite case in order, with the page's own WebCrypto, and publishes the results.
import type { TestEnv } from "./harness.ts";
import { suites } from "./suites.ts";

export interface BrowserResult {
	readonly suite: string;
	readonly name: string;
	readonly ok: boolean;
	readonly error?: string;
	readonly ms: number;
}

// Page-global result channel, read by the Node side (chromium.test.ts).
declare global {
	var __protocolResults: BrowserResult[] | undefined;
	var __protocolDone: boolean | undefined;
}

const env: TestEnv = {
	runtime: "chromium",
	async loadWycheproof(file) {
		const response = await fetch(`/vectors/${encodeURIComponent(file)}`);
		if (!response.ok) throw new Error(`Wycheproof vector file ${file} is not available to the browser run`);
		return response.json();
	},
};

async function main(): Promise<void> {
	const results: BrowserResult[] = [];
	globalThis.__protocolResults = results;
	for (const suite of suites) {
		for (const [name, run] of Object.entries(suite.cases)) {
			const started = performance.now();
			try {
				await run(env);
				results.push({ suite: suite.name, name, ok: true, ms: performance.now() - started });
			} catch (error) {
				const message =
					error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error);
				results.push({ suite: suite.name, name, ok: false, error: message, ms: performance.now() - started });
			}
		}
	}
	globalThis.__protocolDone = true;
}

void main();
