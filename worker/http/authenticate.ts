// Bearer-token authentication for HTTP routes. The token names its phone, which routes the check to
// that phone's object; the object compares keyed hashes.
import { createMiddleware } from "hono/factory";
import { errorResponse, relayError } from "../relay-error.ts";
import { bearerToken, phoneOfToken } from "../security/session-token.ts";
import { phoneObject, type RelayEnv } from "./context.ts";

export const requireSession = createMiddleware<RelayEnv>(async (c, next) => {
	const token = bearerToken(c.req.header("authorization"));
	const phone = token ? phoneOfToken(token) : null;
	if (!token || !phone || !(await phoneObject(c.env, phone).authenticate(phone, token))) {
		return errorResponse(
			relayError(
				"unauthenticated",
				"Missing, wrong or revoked session token (Authorization: Bearer …); register again.",
			),
		);
	}
	c.set("phone", phone);
	c.set("token", token);
	await next();
});
