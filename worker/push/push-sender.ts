// Sends one push (RFC 8030 §5): the payload encrypted for the browser (RFC 8291 aes128gcm, by
// @block65/webcrypto-web-push, padded to a constant size), a VAPID token (vapid.ts), a TTL, a Topic so
// the push service keeps only the newest undelivered push per subscription, and high urgency (a
// message is waiting). The answer is sorted into what the object does next (push-notifier.ts).
import { encryptNotification } from "@block65/webcrypto-web-push";
import type { PushPayload } from "../../protocol/wire/index.ts";
import type { PushConfig } from "./push-config.ts";
import type { StoredSubscription } from "./push-subscriptions.ts";
import { vapidAuthorization } from "./vapid.ts";

/** How long a push service keeps an undelivered push: the mailbox keeps the message far longer. */
export const PUSH_TTL_S = 24 * 3600;
/** RFC 8030 §5.4: at most 32 base64url characters; one topic, so a newer push replaces an older one. */
export const PUSH_TOPIC = "friendly-new-message";
/** A push service that does not answer in this time is treated like a 5xx. */
const SEND_TIMEOUT_MS = 10_000;

const PAYLOAD: PushPayload = { type: "new_message" };
const payloadBytes = new TextEncoder().encode(JSON.stringify(PAYLOAD));

export type PushResult =
	| { kind: "sent" }
	/** 404/410: the subscription is gone for good (RFC 8030 §7.3). */
	| { kind: "gone"; status: number }
	/** 429, 5xx or no answer: worth another try, no sooner than `retryAfterMs` when the service said. */
	| { kind: "retry"; status: number | null; retryAfterMs: number | null }
	/** Any other answer (400, 401, 403, 413…): retrying the same request cannot help. */
	| { kind: "refused"; status: number };

export async function sendPush(
	subscription: StoredSubscription,
	endpoint: URL,
	push: PushConfig,
	vapidKey: CryptoKey,
	nowMs: number,
	fetchImpl: typeof fetch = fetch,
): Promise<PushResult> {
	let response: Response;
	try {
		const body = await encryptNotification(
			{ endpoint: subscription.endpoint, expirationTime: null, keys: subscription },
			payloadBytes,
		);
		response = await fetchImpl(endpoint.href, {
			method: "POST",
			headers: {
				authorization: await vapidAuthorization(endpoint, push, vapidKey, nowMs),
				ttl: String(PUSH_TTL_S),
				topic: PUSH_TOPIC,
				urgency: "high",
				"content-encoding": "aes128gcm",
				"content-type": "application/octet-stream",
			},
			body,
			// A push service never redirects; following one would let an endpoint send the relay elsewhere.
			redirect: "manual",
			signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
		});
	} catch {
		return { kind: "retry", status: null, retryAfterMs: null };
	}
	// The body is never read (push services answer with nothing useful); release the connection.
	await response.body?.cancel().catch(() => undefined);
	const status = response.status;
	if (status >= 200 && status < 300) return { kind: "sent" };
	if (status === 404 || status === 410) return { kind: "gone", status };
	if (status === 429 || status >= 500) return { kind: "retry", status, retryAfterMs: retryAfter(response) };
	return { kind: "refused", status };
}

function retryAfter(response: Response): number | null {
	const value = response.headers.get("retry-after");
	if (value === null || !/^[0-9]{1,9}$/.test(value.trim())) return null;
	return Number(value.trim()) * 1000;
}
