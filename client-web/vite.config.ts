// Vite build of the browser client. Vite 8 transforms TSX with oxc; JSX goes to Preact's automatic
// runtime without a plugin. The output (client-web/dist) is served by the Worker's static-assets layer,
// which also applies client-web/public/_headers (CSP and friends).
import { defineConfig } from "vite";

export default defineConfig({
	root: "client-web",
	oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
	build: {
		outDir: "dist",
		emptyOutDir: true,
		// Everything is a file: the CSP allows no inline script or style, and no data: scripts.
		assetsInlineLimit: 0,
		modulePreload: { polyfill: false },
		target: "es2022",
	},
});
