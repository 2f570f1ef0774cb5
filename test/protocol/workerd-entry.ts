// Bundled by workerd.test.ts (esbuild) and run inside workerd (Cloudflare's runtime, through Miniflare):
// one request runs every suite case in order with workerd's own WebCrypto and answers the results.
import type { TestEnv } from "./harness.ts";
import { suites } from "./suites.ts";

export interface WorkerdResult {
	readonly suite: string;
	readonly name: string;
	readonly ok: boolean;
	readonly error?: string;
}

interface Bindings {
	/** Wycheproof files' text by name. */
	readonly VECTORS?: Record<string, string>;
}

export default {
	async fetch(_request: Request, bindings: Bindings): Promise<Response> {
		const env: TestEnv = {
			runtime: "workerd",
			async loadWycheproof(file) {
				const text = bindings.VECTORS?.[file];
				if (text === undefined) {
					throw new Error(`Wycheproof vector file ${file} is not available to the workerd run`);
				}
				return JSON.parse(text);
			},
		};
		const results: WorkerdResult[] = [];
		for (const suite of suites) {
			for (const [name, run] of Object.entries(suite.cases)) {
				try {
					await run(env);
					results.push({ suite: suite.name, name, ok: true });
				} catch (error) {
					const message =
						error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error);
					results.push({ suite: suite.name, name, ok: false, error: message });
				}
			}
		}
		return Response.json(results);
	},
};
