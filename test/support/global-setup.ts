// The node project's global setup (vitest.config.ts): work every test file would otherwise repeat,
// done once per run in vitest's main process. Today: the `friendly` bundle for the CLI tests (an
// esbuild build of client-cli/, about a CPU-second each time), shared read-only by every file
// (cli-bundle.ts). Nothing here imports vitest's runtime: this runs outside any test file.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { buildCli } from "../../client-cli/build.ts";

/**
 * Builds the bundle into a new temporary directory; returns the bundle's path and the directory. The
 * directory gets the package's `"type": "module"`, as client-cli/dist/ has from the package.json above it:
 * without it Node parses every start's 700 kB bundle twice (as CommonJS, then, on its `import`s, as an
 * ES module), about a fifth of a `friendly` start that the installed program does not pay.
 */
export async function buildTestCli(): Promise<{ bundle: string; directory: string }> {
	const directory = await mkdtemp(join(tmpdir(), "friendly-cli-bundle-"));
	try {
		await writeFile(join(directory, "package.json"), '{ "type": "module" }\n');
		return { bundle: await buildCli(join(directory, "friendly.js")), directory };
	} catch (error) {
		await rm(directory, { recursive: true, force: true });
		throw error;
	}
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
	const { bundle, directory } = await buildTestCli();
	project.provide("friendlyCliBundle", bundle);
	return () => rm(directory, { recursive: true, force: true });
}
