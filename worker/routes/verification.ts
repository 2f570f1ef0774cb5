// POST /v1/verification/request and /confirm (docs/PROTOCOL.md §Registration).
import { Hono } from "hono";
import { CodeConfirmation, CodeRequest, type CodeRequestResponse } from "../../protocol/wire/index.ts";
import { deliverCode } from "../code-delivery/deliver-code.ts";
import { phoneObject, type RelayContext, type RelayEnv, readBody, reply } from "../http/context.ts";
import { errorResponse, relayError } from "../relay-error.ts";

export const verificationRoutes = new Hono<RelayEnv>();

/** Coarse per-address throttle (the exact per-phone limits live in the phone's object). */
async function throttledByAddress(c: RelayContext): Promise<Response | null> {
	const address = c.req.header("cf-connecting-ip") ?? "unknown";
	const { success } = await c.env.CODE_REQUESTS_PER_IP.limit({ key: address });
	if (success) return null;
	return errorResponse(
		relayError("rate_limited", "Too many verification requests from your network; wait a minute.", {
			retryAfter: 60,
		}),
	);
}

verificationRoutes.post("/request", async (c) => {
	const throttled = await throttledByAddress(c);
	if (throttled) return throttled;
	const body = await readBody(c, CodeRequest);
	if (!body.ok) return errorResponse(body.error);
	const { phone } = body.value;
	const issued = await phoneObject(c.env, phone).requestCode();
	if (!issued.ok) return errorResponse(issued.error);
	const { code, expiresIn, resendAfter } = issued.value;
	const delivered = await deliverCode(c.get("config"), {
		phone,
		code,
		expiresAt: Date.now() + expiresIn * 1000,
	});
	if (!delivered.ok) return errorResponse(delivered.error);
	const response: CodeRequestResponse = { phone, expiresIn, resendAfter, ...delivered.value };
	return c.json(response);
});

verificationRoutes.post("/confirm", async (c) => {
	const throttled = await throttledByAddress(c);
	if (throttled) return throttled;
	const body = await readBody(c, CodeConfirmation);
	if (!body.ok) return errorResponse(body.error);
	const { phone, code, identity } = body.value;
	const registered = await phoneObject(c.env, phone).confirmCode(code, identity);
	if (!registered.ok) return errorResponse(registered.error);
	return reply(c, { ok: true, value: { phone, ...registered.value } });
});
