// Vite build of the browser client. Vite 8 transforms TSX with oxc; JSX goes to Preact's automatic
// runtime without a plugin. The output (client-web/dist) is served by the Worker's static-assets layer,
// which also applies client-web/public/_headers (CSP and friends).
//
// The build is reproducible (docs/SECURITY.md §The web client's trust model): the same source gives the
// same bytes on any machine and in any directory (file names are content hashes, no timestamps, no
// absolute paths), so anyone can rebuild the app and compare it with what a relay serves
// (`friendly verify-web <url>`). index.html pins its scripts and styles with Subresource Integrity.
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defineConfig, type Plugin } from "vite";

// The bytes must not depend on the builder's shell: NODE_ENV=development (or vitest's "test") would pick
// other code paths in dependencies. Every build is the production build.
process.env.NODE_ENV = "production";

export default defineConfig({
	root: "client-web",
	mode: "production",
	oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
	plugins: [subresourceIntegrity()],
	build: {
		outDir: "dist",
		emptyOutDir: true,
		// Everything is a file: the CSP allows no inline script or style, and no data: scripts.
		assetsInlineLimit: 0,
		modulePreload: { polyfill: false },
		target: "es2022",
		// One script: a lazily imported chunk would be fetched without the integrity index.html pins.
		rolldownOptions: { output: { codeSplitting: false } },
	},
});

/**
 * Adds `integrity="sha384-…"` to every script, stylesheet and module preload that index.html loads from
 * the build: the browser refuses a file whose bytes differ from the ones index.html names, so checking
 * index.html checks the whole app. Runs once every file is on disk and hashes those bytes: in
 * generateBundle, Vite's own plugins could still rewrite a chunk (e.g. the preload list of a lazily
 * loaded one) after the digest was taken.
 */
function subresourceIntegrity(): Plugin {
	return {
		name: "friendly-subresource-integrity",
		enforce: "post",
		apply: "build",
		async writeBundle(options) {
			const dir = options.dir;
			if (!dir) throw new Error("SRI: the build has no output directory");
			const htmlPath = join(dir, "index.html");
			const source = await readFile(htmlPath, "utf8");
			const tag = /<(script|link)\b[^>]*?\b(?:src|href)="\/([^"]+)"[^>]*>/g;
			const files = new Map<string, Buffer>();
			for (const match of source.matchAll(tag)) {
				const [element, , path] = match;
				if (!path || /\bintegrity=/.test(element)) continue;
				if (element.startsWith("<link") && !/\brel="(?:stylesheet|modulepreload)"/.test(element)) continue;
				files.set(
					path,
					await readFile(join(dir, path)).catch(() => {
						throw new Error(`SRI: index.html loads /${path}, which is not in the build`);
					}),
				);
			}
			const html = source.replace(tag, (element, _name: string, path: string) => {
				const bytes = files.get(path);
				if (!bytes || /\bintegrity=/.test(element)) return element;
				const digest = createHash("sha384").update(bytes).digest("base64");
				return element.replace(/\s*\/?>$/, (end) => ` integrity="sha384-${digest}"${end}`);
			});
			await writeFile(htmlPath, html);
		},
	};
}
