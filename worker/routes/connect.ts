// GET /v1/connect/:phone — WebSocket upgrade, forwarded to the phone's object, which accepts it with
// the hibernation API. The token is not in the URL: the first frame must be `hello` (docs/PROTOCOL.md
// §WebSocket). Browsers are held to an Origin allowlist against cross-site WebSocket hijacking.
import { Hono } from "hono";
import { normalisePhone } from "../../protocol/wire/index.ts";
import { phoneObject, type RelayEnv } from "../http/context.ts";
import { errorResponse, relayError } from "../relay-error.ts";

export const connectRoutes = new Hono<RelayEnv>();

/**
 * The object knows its phone by its name, so the upgrade it gets carries no number in its URL (nothing
 * for a log of the object's requests to show).
 */
const OBJECT_URL = "https://phone-object.invalid/connect";

connectRoutes.get("/:phone", async (c) => {
	if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
		return c.json(
			{ error: { code: "bad_request", message: "This route only accepts WebSocket upgrades." } },
			426,
		);
	}
	const origin = c.req.header("origin");
	if (origin !== undefined) {
		const allowed = new Set([new URL(c.req.url).origin, ...c.get("config").allowedOrigins]);
		if (!allowed.has(origin)) {
			return errorResponse(
				relayError("forbidden_origin", "This page's origin may not connect to this relay."),
			);
		}
	}
	// Hono has already percent-decoded the parameter; decoding again would throw on a literal "%".
	const phone = normalisePhone(c.req.param("phone"));
	if (!phone.ok) return errorResponse(relayError("invalid_phone", phone.reason));
	return phoneObject(c.env, phone.phone).fetch(new Request(OBJECT_URL, { headers: c.req.raw.headers }));
});
