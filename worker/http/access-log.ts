// One log line per request: method, route pattern, status, time. The pattern (`/v1/keys/:phone`), never
// the path, because paths carry phone numbers; nothing else from the request is logged (no tokens,
// no query, no body). The platform's own per-request logs, which show the full URL, are off
// (wrangler.toml [observability.logs] invocation_logs = false; docs/DEPLOY.md §Logs).
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { RelayEnv } from "./context.ts";

export const accessLog = createMiddleware<RelayEnv>(async (c, next) => {
	const started = Date.now();
	await next();
	console.log(
		`${method(c.req.method)} ${routePattern(routePath(c, -1))} ${c.res.status} ${Date.now() - started}ms`,
	);
});

/** A method is any token a client chooses (digits too): only the standard ones are logged by name. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);

function method(name: string): string {
	return METHODS.has(name) ? name : "(other method)";
}

/** A request that matched no route has only the middleware's own pattern: its path is not logged. */
function routePattern(pattern: string): string {
	return pattern === "/*" || pattern === "*" || pattern === "" ? "(no route)" : pattern;
}
