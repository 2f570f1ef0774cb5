// Web Push (docs/PROTOCOL.md §Push notifications). GET /v1/push tells a browser whether this relay
// sends pushes and the VAPID key to subscribe with; PUT stores the browser's subscription in the
// phone's object and DELETE removes it (both with the phone's bearer token, checked in the object).
import { Hono } from "hono";
import {
	type PushSettingsResponse,
	PushSubscriptionBody,
	PushUnsubscribeBody,
} from "../../protocol/wire/index.ts";
import { bearerSession } from "../http/authenticate.ts";
import { phoneObject, type RelayEnv, readBody } from "../http/context.ts";
import { errorResponse } from "../relay-error.ts";

export const pushRoutes = new Hono<RelayEnv>();

pushRoutes.get("/", (c) => {
	const push = c.get("config").push;
	const settings: PushSettingsResponse = {
		enabled: push !== null,
		vapidPublicKey: push?.vapidPublicKey ?? null,
	};
	return c.json(settings);
});

pushRoutes.put("/", bearerSession, async (c) => {
	const { phone, token } = c.get("session");
	const body = await readBody(c, PushSubscriptionBody);
	if (!body.ok) return errorResponse(body.error);
	const saved = await phoneObject(c.env, phone).subscribePush(token, body.value);
	return saved.ok ? c.body(null, 204) : errorResponse(saved.error);
});

pushRoutes.delete("/", bearerSession, async (c) => {
	const { phone, token } = c.get("session");
	const body = await readBody(c, PushUnsubscribeBody);
	if (!body.ok) return errorResponse(body.error);
	const removed = await phoneObject(c.env, phone).unsubscribePush(token, body.value.endpoint);
	return removed.ok ? c.body(null, 204) : errorResponse(removed.error);
});
