// Vite build of the browser client. Vite 8 transforms TSX with oxc; JSX goes to Preact's automatic
// runtime without a plugin. The output (client-web/dist) is served by the Worker's static-assets layer,
// which also applies client-web/public/_headers (CSP and friends).
//
// The build is reproducible (docs/SECURITY.md §The web client's trust model): the same source gives the
// same bytes on any machine and in any directory (file names are content hashes, no timestamps, no
// absolute paths), so anyone can rebuild the app and compare it with what a relay serves
// (`friendly verify-web <url>`). index.html pins its scripts and styles with Subresource Integrity.
import { createHash } from "node:crypto";
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
	},
});

/**
 * Adds `integrity="sha384-…"` to every script, stylesheet and module preload that index.html loads from
 * the build: the browser refuses a file whose bytes differ from the ones index.html names, so checking
 * index.html checks the whole app. Runs after Vite wrote the final HTML and the final chunks.
 */
function subresourceIntegrity(): Plugin {
	return {
		name: "friendly-subresource-integrity",
		enforce: "post",
		apply: "build",
		generateBundle(_options, bundle) {
			const html = bundle["index.html"];
			if (html?.type !== "asset") throw new Error("SRI: the build has no index.html");
			const source = typeof html.source === "string" ? html.source : new TextDecoder().decode(html.source);
			const tag = /<(script|link)\b[^>]*?\b(?:src|href)="\/([^"]+)"[^>]*>/g;
			html.source = source.replace(tag, (element, _name: string, path: string) => {
				if (/\bintegrity=/.test(element)) return element;
				if (element.startsWith("<link") && !/\brel="(?:stylesheet|modulepreload)"/.test(element))
					return element;
				const file = bundle[path];
				if (!file) throw new Error(`SRI: index.html loads /${path}, which is not in the build`);
				const bytes = file.type === "chunk" ? file.code : file.source;
				const digest = createHash("sha384").update(bytes).digest("base64");
				return element.replace(/\s*\/?>$/, (end) => ` integrity="sha384-${digest}"${end}`);
			});
		},
	};
}
