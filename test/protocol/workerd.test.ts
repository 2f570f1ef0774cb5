// The same protocol suites, run inside workerd (Cloudflare's runtime, through Miniflare, which wrangler
// and @cloudflare/vitest-plugin already bring): the library runs unchanged where the relay runs too.
// One `it` per case, asserting that case's result from workerd.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import * as v from "valibot";
import { afterAll, beforeAll } from "vitest";
import { describeRemoteResults } from "./remote-results.ts";
import { WYCHEPROOF_FILES, wycheproofDir } from "./vectors.node.ts";

const here = dirname(fileURLToPath(import.meta.url));
const results = new Map<string, { ok: boolean; error?: string | undefined }>();
let miniflare: Miniflare | undefined;
let setupError: unknown;

const Results = v.array(
	v.object({ suite: v.string(), name: v.string(), ok: v.boolean(), error: v.optional(v.string()) }),
);

beforeAll(async () => {
	try {
		const output = await build({
			entryPoints: [resolve(here, "workerd-entry.ts")],
			bundle: true,
			format: "esm",
			platform: "browser",
			target: "es2022",
			write: false,
			logLevel: "silent",
		});
		const script = output.outputFiles[0]?.text;
		if (!script) throw new Error("esbuild produced no output");
		const vectors: Record<string, string> = {};
		for (const file of WYCHEPROOF_FILES) {
			const path = resolve(wycheproofDir(), file);
			if (existsSync(path)) vectors[file] = readFileSync(path, "utf8");
		}
		miniflare = new Miniflare(
			convertV4MiniflareOptions({
				modules: true,
				script,
				compatibilityDate: "2025-09-01",
				bindings: { VECTORS: vectors },
			}),
		);
		const response = await miniflare.dispatchFetch("http://localhost/");
		const parsed = v.safeParse(Results, await response.json());
		if (!parsed.success) throw new Error(`unexpected answer from workerd (${response.status})`);
		for (const result of parsed.output) results.set(`${result.suite}/${result.name}`, result);
	} catch (error) {
		setupError = error;
	}
}, 300_000);

afterAll(async () => {
	await miniflare?.dispose();
});

describeRemoteResults("workerd", () => ({ setupError, results }));
