// FriendLy relay entry point: the Hono app for HTTP and WebSocket upgrades, and the per-phone
// Durable Object class. Static files of the web client are served by the assets binding before
// this Worker runs (wrangler.toml [assets]), except for /v1/* and /healthz.
import { createRelayApp } from "./app.ts";

export { PhoneObject } from "./durable-objects/phone-object.ts";

const app = createRelayApp();

export default {
	fetch: app.fetch,
} satisfies ExportedHandler<Env>;
