// DELETE /v1/session: revokes the presented token (sign out); a connected socket is closed.
import { Hono } from "hono";
import { bearerSession } from "../http/authenticate.ts";
import { phoneObject, type RelayEnv } from "../http/context.ts";
import { errorResponse } from "../relay-error.ts";

export const sessionRoutes = new Hono<RelayEnv>();

sessionRoutes.delete("/", bearerSession, async (c) => {
	const { phone, token } = c.get("session");
	const revoked = await phoneObject(c.env, phone).revokeToken(token);
	return revoked.ok ? c.body(null, 204) : errorResponse(revoked.error);
});
