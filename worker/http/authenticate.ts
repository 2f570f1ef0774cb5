// Bearer-token authentication for HTTP routes (Authorization: Bearer <token>, docs/PROTOCOL.md §HTTP
// routes). The token names its phone, which routes the check to that phone's object, where keyed
// hashes are compared. `bearerSession` only reads the token: routes that call their own phone's object
// pass the token along and the object checks it in the same call. `verifiedSession` also has the
// object check it first, for routes that act on another phone's object (a bundle fetch).
import { createMiddleware } from "hono/factory";
import { errorResponse, relayError } from "../relay-error.ts";
import { bearerToken, phoneOfToken } from "../security/session-token.ts";
import { phoneObject, type RelayEnv } from "./context.ts";

const refused = () =>
	errorResponse(
		relayError(
			"unauthenticated",
			"Missing, wrong or revoked session token (Authorization: Bearer …); register again.",
		),
	);

export const bearerSession = createMiddleware<RelayEnv>(async (c, next) => {
	const token = bearerToken(c.req.header("authorization"));
	const phone = token === null ? null : phoneOfToken(token);
	if (token === null || phone === null) return refused();
	c.set("session", { phone, token });
	await next();
});

export const verifiedSession = createMiddleware<RelayEnv>(async (c, next) => {
	const { phone, token } = c.get("session");
	if (!(await phoneObject(c.env, phone).authenticate(token))) return refused();
	await next();
});
