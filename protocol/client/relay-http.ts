// Typed client for the relay's HTTP routes (docs/PROTOCOL.md §HTTP routes). Every response body is
// parsed with the wire schema; transport failures become `relay_unreachable` with the URL, so the
// user is told where the client tried to go.
import type * as v from "valibot";
import {
	API_PREFIX,
	CodeRequestResponse,
	ErrorBody,
	type IdentityKeys,
	PrekeyBundle,
	PrekeyStatus,
	type PrekeyUpload,
	PushSettingsResponse,
	type PushSubscriptionBody,
	parseJson,
	RegistrationResponse,
} from "../wire/index.ts";
import { RelayRequestError } from "./client-errors.ts";

const MAX_RESPONSE_CHARS = 256 * 1024;

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class RelayHttpClient {
	readonly baseUrl: string;

	constructor(
		baseUrl: string,
		private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
	) {
		this.baseUrl = baseUrl.replace(/\/+$/, "");
	}

	requestCode(phone: string) {
		return this.call(CodeRequestResponse, "POST", "/verification/request", { body: { phone } });
	}

	confirmCode(phone: string, code: string, identity: IdentityKeys) {
		return this.call(RegistrationResponse, "POST", "/verification/confirm", {
			body: { phone, code, identity },
		});
	}

	uploadPrekeys(token: string, upload: PrekeyUpload) {
		return this.call(PrekeyStatus, "PUT", "/keys", { token, body: upload });
	}

	prekeyStatus(token: string) {
		return this.call(PrekeyStatus, "GET", "/keys", { token });
	}

	fetchBundle(token: string, phone: string) {
		return this.call(PrekeyBundle, "GET", `/keys/${encodeURIComponent(phone)}`, { token });
	}

	async signOut(token: string): Promise<void> {
		await this.call(null, "DELETE", "/session", { token });
	}

	/**
	 * Deletes the account on the relay (registration, tokens, keys, mailbox, outbox, push subscriptions);
	 * resolves once the relay confirmed. `phone` must be the token's own number (the AccountDeletion body).
	 */
	async deleteAccount(token: string, phone: string): Promise<void> {
		await this.call(null, "DELETE", "/account", { token, body: { phone } });
	}

	/** Whether this relay sends Web Push, and the VAPID key to subscribe with. */
	pushSettings() {
		return this.call(PushSettingsResponse, "GET", "/push", {});
	}

	async subscribePush(token: string, subscription: PushSubscriptionBody): Promise<void> {
		await this.call(null, "PUT", "/push", { token, body: subscription });
	}

	async unsubscribePush(token: string, endpoint: string): Promise<void> {
		await this.call(null, "DELETE", "/push", { token, body: { endpoint } });
	}

	/** WebSocket URL of a phone's connection. */
	connectUrl(phone: string): string {
		return `${this.baseUrl.replace(/^http/, "ws")}${API_PREFIX}/connect/${encodeURIComponent(phone)}`;
	}

	private async call<S extends v.GenericSchema<unknown, unknown>>(
		schema: S,
		method: string,
		path: string,
		options: { token?: string; body?: unknown },
	): Promise<v.InferOutput<S>>;
	private async call(
		schema: null,
		method: string,
		path: string,
		options: { token?: string; body?: unknown },
	): Promise<null>;
	private async call<S extends v.GenericSchema<unknown, unknown>>(
		schema: S | null,
		method: string,
		path: string,
		options: { token?: string; body?: unknown },
	): Promise<v.InferOutput<S> | null> {
		const url = `${this.baseUrl}${API_PREFIX}${path}`;
		const headers: Record<string, string> = {};
		if (options.token) headers.authorization = `Bearer ${options.token}`;
		if (options.body !== undefined) headers["content-type"] = "application/json";
		let response: Response;
		try {
			response = await this.fetchImpl(url, {
				method,
				headers,
				...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
			});
		} catch {
			throw new RelayRequestError(
				"relay_unreachable",
				`Cannot reach the FriendLy relay at ${this.baseUrl}; check the address and your connection, then try again.`,
			);
		}
		let text: string;
		try {
			text = await response.text();
		} catch {
			// The connection broke while the body was arriving (e.g. the relay restarted mid-response).
			throw new RelayRequestError(
				"relay_unreachable",
				`The connection to the FriendLy relay at ${this.baseUrl} broke off; check your connection, then try again.`,
			);
		}
		if (!response.ok) {
			const error = parseJson(ErrorBody, text, MAX_RESPONSE_CHARS);
			if (!error.ok) {
				throw new RelayRequestError(
					"bad_response",
					`The relay answered HTTP ${response.status} without a valid error.`,
					{
						status: response.status,
					},
				);
			}
			const { code, message, retryAfter, attemptsLeft } = error.value.error;
			throw new RelayRequestError(code, message, {
				status: response.status,
				...(retryAfter !== undefined ? { retryAfter } : {}),
				...(attemptsLeft !== undefined ? { attemptsLeft } : {}),
			});
		}
		if (schema === null) return null;
		const parsed = parseJson(schema, text, MAX_RESPONSE_CHARS);
		if (!parsed.ok) {
			throw new RelayRequestError(
				"bad_response",
				`The relay sent a response this client does not understand (${parsed.message}).`,
			);
		}
		return parsed.value;
	}
}
