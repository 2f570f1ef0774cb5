// The key directory (docs/PROTOCOL.md §Key directory): publish prekeys, count them, fetch a bundle.
import { Hono } from "hono";
import { normalisePhone, PrekeyUpload } from "../../protocol/wire/index.ts";
import { requireSession } from "../http/authenticate.ts";
import { phoneObject, type RelayEnv, readBody, reply } from "../http/context.ts";
import { errorResponse, relayError } from "../relay-error.ts";
import { bearerToken, phoneOfToken } from "../security/session-token.ts";

export const keyRoutes = new Hono<RelayEnv>();

const missingToken = () =>
	errorResponse(relayError("unauthenticated", "Missing or malformed session token; register again."));

// Upload and status authenticate inside the phone's own object: one round trip instead of two.
keyRoutes.put("/", async (c) => {
	const token = bearerToken(c.req.header("authorization"));
	const phone = token ? phoneOfToken(token) : null;
	if (!token || !phone) return missingToken();
	const body = await readBody(c, PrekeyUpload);
	if (!body.ok) return errorResponse(body.error);
	return reply(c, await phoneObject(c.env, phone).uploadPrekeys(phone, token, body.value));
});

keyRoutes.get("/", async (c) => {
	const token = bearerToken(c.req.header("authorization"));
	const phone = token ? phoneOfToken(token) : null;
	if (!token || !phone) return missingToken();
	return reply(c, await phoneObject(c.env, phone).prekeyStatus(phone, token));
});

keyRoutes.get("/:phone", requireSession, async (c) => {
	const target = normalisePhone(c.req.param("phone"));
	if (!target.ok) return errorResponse(relayError("invalid_phone", target.reason));
	return reply(c, await phoneObject(c.env, target.phone).fetchBundle(target.phone, c.get("phone")));
});
