// The page's security headers, as served by the real Worker's static-assets layer (client-web/public/
// _headers), and the built page itself: no inline script or style, no third-party origin, and no CSP
// violation while the app runs in Chromium.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { fileBrowser } from "./support/chromium.ts";
import { WebUser } from "./support/web-user.ts";

let relay: RunningRelay;
let browser: Browser;

beforeAll(async () => {
	[relay, browser] = await Promise.all([startRelay(), fileBrowser()]);
});
afterAll(async () => {
	await browser?.close();
	await relay?.close();
});

function cspDirectives(header: string | null): Map<string, string> {
	const directives = new Map<string, string>();
	for (const part of (header ?? "").split(";")) {
		const [name, ...values] = part.trim().split(/\s+/);
		if (name) directives.set(name, values.join(" "));
	}
	return directives;
}

describe("security headers", () => {
	it("serves the page with a strict CSP, no referrer and nosniff", async () => {
		for (const path of ["/", "/#/new", "/some/deep/link"]) {
			const response = await fetch(`${relay.url}${path}`);
			expect(response.status).toBe(200);
			expect(response.headers.get("content-type")).toContain("text/html");
			const csp = cspDirectives(response.headers.get("content-security-policy"));
			expect(csp.get("default-src")).toBe("'self'");
			expect(csp.get("script-src")).toBe("'self'");
			expect(csp.get("style-src")).toBe("'self'");
			expect(csp.get("connect-src")).toBe("'self'");
			expect(csp.get("img-src")).toBe("'self' data: blob:");
			expect(csp.get("frame-ancestors")).toBe("'none'");
			expect(csp.get("base-uri")).toBe("'none'");
			expect(csp.get("object-src")).toBe("'none'");
			expect(csp.get("form-action")).toBe("'self'");
			expect(response.headers.get("referrer-policy")).toBe("no-referrer");
			expect(response.headers.get("x-content-type-options")).toBe("nosniff");
			expect(response.headers.get("x-frame-options")).toBe("DENY");
		}
	});

	it("builds a page with no inline script or style and no third-party origin", async () => {
		const html = await (await fetch(`${relay.url}/`)).text();
		const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
		expect(scripts.length).toBeGreaterThan(0);
		for (const [, attributes, body] of scripts) {
			expect(attributes).toMatch(/\bsrc="\/assets\//);
			expect(body?.trim()).toBe("");
		}
		expect(html).not.toMatch(/<style\b|\sstyle="/);
		expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
		const script = scripts[0]?.[1]?.match(/src="([^"]+)"/)?.[1] ?? "";
		const asset = await fetch(`${relay.url}${script}`);
		expect(asset.headers.get("content-type")).toContain("javascript");
		expect(asset.headers.get("x-content-type-options")).toBe("nosniff");
	});

	it("runs in Chromium without a CSP violation, and connects its WebSocket under connect-src 'self'", async () => {
		const user = await WebUser.open(browser, relay.url, "desktop");
		await user.register("+15555550190");
		expect(await user.cspViolations()).toEqual([]);
		expect(user.pageErrors).toEqual([]);
		await user.close();
	});
});
