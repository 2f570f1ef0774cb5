// Builds the `friendly` executable (the package's `bin`): one ESM bundle at client-cli/dist/friendly.js
// with a node shebang, so `npx friendly` and `npm i -g` run it without a TypeScript loader. Run by
// `npm run build:cli` (and prestart / pretest / prepare); the tests build their own copy with the same
// options (test/cli/support). Node 22 runs this file directly (type stripping).
import { chmod } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type BuildOptions, build } from "esbuild";

export const ENTRY = fileURLToPath(new URL("./index.ts", import.meta.url));
export const OUTFILE = fileURLToPath(new URL("./dist/friendly.js", import.meta.url));

export function buildOptions(outfile: string): BuildOptions {
	return {
		entryPoints: [ENTRY],
		outfile,
		bundle: true,
		platform: "node",
		format: "esm",
		target: "node22",
		logLevel: "warning",
		legalComments: "none",
		// commander is CommonJS and require()s Node built-ins; an ESM bundle needs a require for that.
		banner: {
			js: "#!/usr/bin/env node\nimport { createRequire as __friendlyCreateRequire } from 'node:module';\nconst require = __friendlyCreateRequire(import.meta.url);",
		},
	};
}

export async function buildCli(outfile = OUTFILE): Promise<string> {
	await build(buildOptions(outfile));
	await chmod(outfile, 0o755);
	return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildCli();
