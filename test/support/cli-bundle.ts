// The `friendly` bundle the tests run as a real process: built from client-cli/ with the same options
// as `npm run build:cli`, once per `vitest run` (global-setup.ts builds it and hands its path to every
// test file through `inject`), or once per test process when no global setup ran (a config without it).
// Each test file still gets its own FRIENDLY_HOME; only the executable is shared.
import { rmSync } from "node:fs";
import { inject } from "vitest";
import { buildTestCli } from "./global-setup.ts";

declare module "vitest" {
	export interface ProvidedContext {
		/** The path of the `friendly` bundle global-setup.ts built for this run. */
		friendlyCliBundle: string;
	}
}

let ownBuild: Promise<string> | undefined;

/** The bundle's path: the run's shared build, else one built for this process (removed at its exit). */
export function testCliBundle(): Promise<string> {
	const shared = inject("friendlyCliBundle");
	if (shared) return Promise.resolve(shared);
	ownBuild ??= buildTestCli().then(
		({ bundle, directory }) => {
			process.once("exit", () => rmSync(directory, { recursive: true, force: true }));
			return bundle;
		},
		(error: unknown) => {
			ownBuild = undefined;
			throw error;
		},
	);
	return ownBuild;
}
