// The key directory (docs/PROTOCOL.md §Key directory): publish prekeys, count them, fetch a bundle.
import { Hono } from "hono";
import { normalisePhone, PrekeyUpload } from "../../protocol/wire/index.ts";
import { bearerSession, verifiedSession } from "../http/authenticate.ts";
import { phoneObject, type RelayEnv, readBody, reply } from "../http/context.ts";
import { errorResponse, relayError } from "../relay-error.ts";

export const keyRoutes = new Hono<RelayEnv>();

// Upload and status are checked inside the phone's own object: one round trip instead of two.
keyRoutes.put("/", bearerSession, async (c) => {
	const { phone, token } = c.get("session");
	const body = await readBody(c, PrekeyUpload);
	if (!body.ok) return errorResponse(body.error);
	return reply(c, await phoneObject(c.env, phone).uploadPrekeys(token, body.value));
});

keyRoutes.get("/", bearerSession, async (c) => {
	const { phone, token } = c.get("session");
	return reply(c, await phoneObject(c.env, phone).prekeyStatus(token));
});

keyRoutes.get("/:phone", bearerSession, verifiedSession, async (c) => {
	const target = normalisePhone(c.req.param("phone"));
	if (!target.ok) return errorResponse(relayError("invalid_phone", target.reason));
	return reply(c, await phoneObject(c.env, target.phone).fetchBundle(c.get("session").phone));
});
