// Outcomes crossing the Worker ↔ Durable Object boundary are values, not exceptions: an RPC exception
// loses its type, a value keeps the closed error code the client branches on.
import { type ErrorBody, HTTP_STATUS, type RelayErrorCode } from "../protocol/wire/index.ts";

export type RelayError = ErrorBody["error"];
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: RelayError };

export function success<T>(value: T): Outcome<T> {
	return { ok: true, value };
}

export function relayError(
	code: RelayErrorCode,
	message: string,
	extra: { retryAfter?: number; attemptsLeft?: number } = {},
): RelayError {
	return { code, message, ...extra };
}

export function failure(
	code: RelayErrorCode,
	message: string,
	extra: { retryAfter?: number; attemptsLeft?: number } = {},
): { ok: false; error: RelayError } {
	return { ok: false, error: relayError(code, message, extra) };
}

export function errorResponse(error: RelayError): Response {
	const headers = new Headers({ "content-type": "application/json; charset=utf-8" });
	if (error.retryAfter !== undefined)
		headers.set("retry-after", String(Math.max(1, Math.ceil(error.retryAfter))));
	return new Response(JSON.stringify({ error }), { status: HTTP_STATUS[error.code], headers });
}
