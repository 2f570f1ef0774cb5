// DELETE /v1/account (docs/PROTOCOL.md §Deleting an account): removes everything the relay holds for
// the token's phone and closes its socket. The body restates the phone, which must be the token's.
import { Hono } from "hono";
import { AccountDeletion } from "../../protocol/wire/index.ts";
import { bearerSession } from "../http/authenticate.ts";
import { phoneObject, type RelayEnv, readBody } from "../http/context.ts";
import { errorResponse, relayError } from "../relay-error.ts";

export const accountRoutes = new Hono<RelayEnv>();

accountRoutes.delete("/", bearerSession, async (c) => {
	const { phone, token } = c.get("session");
	const body = await readBody(c, AccountDeletion);
	if (!body.ok) return errorResponse(body.error);
	if (body.value.phone !== phone) {
		return errorResponse(
			relayError(
				"bad_request",
				"The phone in the body is not the one this token belongs to; nothing was deleted.",
			),
		);
	}
	const deleted = await phoneObject(c.env, phone).deleteAccount(token);
	return deleted.ok ? c.body(null, 204) : errorResponse(deleted.error);
});
