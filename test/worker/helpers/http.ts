// HTTP helpers for the relay's routes, through the real Worker (`exports.default.fetch`). Every body
// read back is parsed with the wire schema, never cast.
import { exports } from "cloudflare:workers";
import type * as v from "valibot";
import { expect } from "vitest";
import { ErrorBody, parseJson, type RelayErrorCode } from "../../../protocol/wire/index.ts";

export const RELAY = "http://relay.test";

let addressCounter = 0;

/** A fresh client address per call, so the per-IP code limiter only bites where a test wants it to. */
export function uniqueAddress(): string {
	addressCounter += 1;
	return `198.51.${Math.floor(addressCounter / 250) % 250}.${(addressCounter % 250) + 1}`;
}

export interface CallOptions {
	method?: string;
	body?: unknown;
	rawBody?: string;
	token?: string;
	headers?: Record<string, string>;
	address?: string;
}

export function call(path: string, options: CallOptions = {}): Promise<Response> {
	const headers = new Headers(options.headers);
	if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", options.address ?? uniqueAddress());
	if (options.token !== undefined) headers.set("authorization", `Bearer ${options.token}`);
	let body: string | undefined;
	if (options.rawBody !== undefined) body = options.rawBody;
	else if (options.body !== undefined) body = JSON.stringify(options.body);
	if (body !== undefined) headers.set("content-type", "application/json");
	return exports.default.fetch(`${RELAY}${path}`, {
		method: options.method ?? (body === undefined ? "GET" : "POST"),
		headers,
		body,
	});
}

// biome-ignore lint/suspicious/noExplicitAny: valibot's schema type parameters are generic by design.
type AnySchema = v.GenericSchema<unknown, any>;

/** Expects a 2xx answer and parses its body with `schema`. */
export async function expectOk<S extends AnySchema>(
	response: Response,
	schema: S,
	status = 200,
): Promise<v.InferOutput<S>> {
	const text = await response.text();
	expect(response.status, text).toBe(status);
	const parsed = parseJson(schema, text, 1 << 20);
	if (!parsed.ok) throw new Error(`response body does not match the schema: ${parsed.message}: ${text}`);
	return parsed.value;
}

/** Expects an error answer with `code` and the status the wire protocol assigns; returns the error. */
export async function expectError(
	response: Response,
	code: RelayErrorCode,
	status: number,
): Promise<ErrorBody["error"]> {
	const text = await response.text();
	expect(response.status, text).toBe(status);
	const parsed = parseJson(ErrorBody, text, 1 << 20);
	if (!parsed.ok) throw new Error(`error body does not match the schema: ${parsed.message}: ${text}`);
	expect(parsed.value.error.code, text).toBe(code);
	return parsed.value.error;
}
