// The relay's HTTP surface (docs/PROTOCOL.md §HTTP routes), assembled from one module per concern.
import { Hono } from "hono";
import { API_PREFIX, PROTOCOL_VERSION } from "../protocol/wire/index.ts";
import { relayConfig } from "./config/relay-config.ts";
import { accessLog } from "./http/access-log.ts";
import type { RelayEnv } from "./http/context.ts";
import { errorResponse, relayError } from "./relay-error.ts";
import { accountRoutes } from "./routes/account.ts";
import { attachmentRoutes } from "./routes/attachments.ts";
import { connectRoutes } from "./routes/connect.ts";
import { keyRoutes } from "./routes/keys.ts";
import { pushRoutes } from "./routes/push.ts";
import { sessionRoutes } from "./routes/session.ts";
import { verificationRoutes } from "./routes/verification.ts";

export function createRelayApp() {
	const app = new Hono<RelayEnv>();

	app.use("*", accessLog);
	// A config that would be unsafe or cannot work refuses every request, with the reason in the log.
	app.use("*", async (c, next) => {
		const config = relayConfig(c.env);
		if (!config.ok) {
			return errorResponse(
				relayError(
					"server_misconfigured",
					"This relay is misconfigured and refuses to serve; its operator must fix it.",
				),
			);
		}
		c.set("config", config.config);
		await next();
	});

	app.get("/healthz", (c) => c.json({ ok: true, protocol: PROTOCOL_VERSION }));
	app.route(`${API_PREFIX}/verification`, verificationRoutes);
	app.route(`${API_PREFIX}/session`, sessionRoutes);
	app.route(`${API_PREFIX}/keys`, keyRoutes);
	app.route(`${API_PREFIX}/connect`, connectRoutes);
	app.route(`${API_PREFIX}/push`, pushRoutes);
	app.route(`${API_PREFIX}/attachments`, attachmentRoutes);
	app.route(`${API_PREFIX}/account`, accountRoutes);

	app.notFound(() =>
		errorResponse(relayError("not_found", "No such route; see docs/PROTOCOL.md for the API.")),
	);
	app.onError((error) => {
		// Names only: messages and stacks can carry user data.
		console.error(`relay error: ${error.name}`);
		return errorResponse(relayError("internal", "The relay hit an unexpected error; try again."));
	});
	return app;
}
