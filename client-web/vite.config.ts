import { defineConfig } from "vite";

export default defineConfig({
	root: "client-web",
	build: { outDir: "dist", emptyOutDir: true },
});
