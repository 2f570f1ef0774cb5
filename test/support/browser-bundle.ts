// Library code run in a real Chromium: an entry bundled with esbuild and served from 127.0.0.1 (WebCrypto
// needs a secure context), for the protocol suites in Chromium, the web store tests and the bench's
// Chromium figures.
import { createServer, type Server, type ServerResponse } from "node:http";
import { build } from "esbuild";

/** The entry and what it imports, as one ES module for Chromium. */
export async function bundleForBrowser(entry: string): Promise<string> {
	const output = await build({
		entryPoints: [entry],
		bundle: true,
		format: "esm",
		platform: "browser",
		target: "chrome120",
		write: false,
		logLevel: "silent",
	});
	const file = output.outputFiles[0];
	if (!file) throw new Error("esbuild produced no output");
	return file.text;
}

/**
 * Serves a page that loads `script` as /bundle.js, on a free port of 127.0.0.1. `other` answers any
 * other path (returning false: 404).
 */
export function serveBundle(
	script: string,
	title: string,
	other: (path: string, response: ServerResponse) => boolean = () => false,
): Promise<Server> {
	const page = `<!doctype html><meta charset="utf-8"><title>${title}</title>
<script type="module" src="/bundle.js"></script>`;
	const http = createServer((request, response) => {
		const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
		if (path === "/") response.writeHead(200, { "content-type": "text/html" }).end(page);
		else if (path === "/bundle.js")
			response.writeHead(200, { "content-type": "text/javascript" }).end(script);
		else if (!other(path, response)) response.writeHead(404).end();
	});
	return new Promise((done) => http.listen(0, "127.0.0.1", () => done(http)));
}
