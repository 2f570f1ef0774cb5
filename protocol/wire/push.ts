// Web Push subscriptions (docs/PROTOCOL.md §Push notifications): the bodies of GET, PUT and DELETE
// /v1/push. The subscription is what a browser's PushManager hands out (RFC 8030 push resource, RFC 8291
// keys). The shape is checked here; whether the relay may POST to the endpoint (https, a public host
// name, the operator's allowlist) is the relay's policy (worker/push/endpoint-policy.ts).
import * as v from "valibot";
import { base64UrlBytes, P256PublicKey } from "./primitives.ts";

/** Push service URLs are short (FCM's are about 190 characters, Mozilla's and Apple's shorter). */
export const MAX_PUSH_ENDPOINT_CHARS = 1024;

/** Subscriptions a phone may hold (one per browser); a new one beyond this replaces the oldest. */
export const MAX_PUSH_SUBSCRIPTIONS = 5;

export const PushEndpoint = v.pipe(
	v.string("endpoint must be a string"),
	v.maxLength(MAX_PUSH_ENDPOINT_CHARS, `endpoint is longer than ${MAX_PUSH_ENDPOINT_CHARS} characters`),
	v.check((text) => URL.canParse(text), "endpoint must be an absolute URL"),
);

// PUT /v1/push
export const PushSubscriptionBody = v.strictObject({
	endpoint: PushEndpoint,
	keys: v.strictObject({
		/** The browser's P-256 ECDH public key (RFC 8291 §3.1 ua_public). */
		p256dh: P256PublicKey,
		/** The 16-byte authentication secret (RFC 8291 §3.2). */
		auth: base64UrlBytes(16, "auth secret"),
	}),
});
export type PushSubscriptionBody = v.InferOutput<typeof PushSubscriptionBody>;

// DELETE /v1/push
export const PushUnsubscribeBody = v.strictObject({ endpoint: PushEndpoint });
export type PushUnsubscribeBody = v.InferOutput<typeof PushUnsubscribeBody>;

// GET /v1/push (no token): whether this relay sends pushes, and the key browsers subscribe with.
export const PushSettingsResponse = v.object({
	enabled: v.boolean(),
	/** The VAPID public key (RFC 8292 §3.2), the browser's `applicationServerKey`; null when disabled. */
	vapidPublicKey: v.nullable(P256PublicKey),
});
export type PushSettingsResponse = v.InferOutput<typeof PushSettingsResponse>;

/**
 * The encrypted payload of every push: no message content, no phone number, nothing a push service
 * could learn from if the encryption failed. The service worker shows a fixed text.
 */
export const PushPayload = v.object({ type: v.literal("new_message") });
export type PushPayload = v.InferOutput<typeof PushPayload>;
