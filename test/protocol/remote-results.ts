// Registers one vitest case per protocol case whose outcome was computed in another runtime (Chromium,
// workerd), so both runners report the same names and fail the same way.
import { describe, it } from "vitest";
import { suites } from "./suites.ts";

export interface RemoteRun {
	setupError: unknown;
	results: ReadonlyMap<string, { ok: boolean; error?: string | undefined }>;
}

/** `run` is read when each case runs, after the runner's beforeAll has filled it in. */
export function describeRemoteResults(runtime: string, run: () => RemoteRun): void {
	describe(runtime, () => {
		for (const suite of suites) {
			describe(suite.name, () => {
				for (const name of Object.keys(suite.cases)) {
					it(name, () => {
						const { setupError, results } = run();
						if (setupError) throw setupError;
						const result = results.get(`${suite.name}/${name}`);
						if (!result) throw new Error(`the case did not run in ${runtime}`);
						if (!result.ok) throw new Error(`in ${runtime}: ${result.error ?? "failed"}`);
					});
				}
			});
		}
	});
}
