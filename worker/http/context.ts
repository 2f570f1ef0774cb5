// Shared Hono types and request helpers for the relay's HTTP routes.
import type { Context } from "hono";
import type * as v from "valibot";
import { type E164, parseJson } from "../../protocol/wire/index.ts";
import type { RelayConfig } from "../config/relay-config.ts";
import type { PhoneObject } from "../durable-objects/phone-object.ts";
import { errorResponse, failure, type Outcome } from "../relay-error.ts";

/** A bearer token and the phone it names; checked by that phone's object (http/authenticate.ts). */
export interface Session {
	phone: E164;
	token: string;
}

export type RelayEnv = { Bindings: Env; Variables: { config: RelayConfig; session: Session } };
export type RelayContext = Context<RelayEnv>;

/** HTTP bodies are small (the largest is a 100-prekey upload, about 12 KB). */
const MAX_BODY_CHARS = 64 * 1024;

// biome-ignore lint/suspicious/noExplicitAny: valibot's schema type parameters are generic by design.
export async function readBody<S extends v.GenericSchema<unknown, any>>(
	c: RelayContext,
	schema: S,
): Promise<Outcome<v.InferOutput<S>>> {
	const declared = Number(c.req.header("content-length") ?? "0");
	if (declared > MAX_BODY_CHARS)
		return failure("too_large", `Request body larger than ${MAX_BODY_CHARS} bytes.`);
	const text = await c.req.text();
	// Also without (or with a false) Content-Length, e.g. a chunked upload.
	if (text.length > MAX_BODY_CHARS)
		return failure("too_large", `Request body larger than ${MAX_BODY_CHARS} bytes.`);
	const parsed = parseJson(schema, text, MAX_BODY_CHARS);
	if (!parsed.ok) {
		if (parsed.path === "phone") return failure("invalid_phone", `Phone number rejected: ${parsed.message}.`);
		return failure("bad_request", `Request body rejected: ${parsed.message}.`);
	}
	return { ok: true, value: parsed.value };
}

export function phoneObject(env: Env, phone: E164): DurableObjectStub<PhoneObject> {
	return env.PHONE.getByName(phone);
}

export function reply<T>(c: RelayContext, outcome: Outcome<T>, status: 200 | 201 = 200): Response {
	return outcome.ok ? c.json(outcome.value, status) : errorResponse(outcome.error);
}
