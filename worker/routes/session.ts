// DELETE /v1/session: revokes the presented token (sign out); a connected socket is closed.
import { Hono } from "hono";
import { phoneObject, type RelayEnv } from "../http/context.ts";
import { errorResponse, relayError } from "../relay-error.ts";
import { bearerToken, phoneOfToken } from "../security/session-token.ts";

export const sessionRoutes = new Hono<RelayEnv>();

sessionRoutes.delete("/", async (c) => {
	const token = bearerToken(c.req.header("authorization"));
	const phone = token ? phoneOfToken(token) : null;
	if (!token || !phone)
		return errorResponse(relayError("unauthenticated", "Missing or malformed session token."));
	const revoked = await phoneObject(c.env, phone).revokeToken(phone, token);
	return revoked.ok ? c.body(null, 204) : errorResponse(revoked.error);
});
