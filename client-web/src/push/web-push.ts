// Web Push in the browser (docs/WEB.md §Notifications): registers the service worker (/sw.js), asks for
// notification permission only when the user turns notifications on, subscribes with the relay's VAPID
// key and hands the subscription to the relay (PUT /v1/push); turning them off removes it from both.
// The push service learns when this browser is sent a push, never what: the payload is encrypted for
// the browser and says only that something is waiting.
import type { RelayHttpClient } from "../../../protocol/client/index.ts";
import { decodeBase64Url, encodeBase64Url } from "../../../protocol/encoding/base64url.ts";
import type { PushSubscriptionBody } from "../../../protocol/wire/index.ts";

/**
 * checking: not known yet; unsupported: this browser has no Web Push; unavailable: this relay sends no
 * pushes; blocked: the user blocked notifications for this site; off; on.
 */
export type NotificationStatus = "checking" | "unsupported" | "unavailable" | "blocked" | "off" | "on";

const SERVICE_WORKER_URL = "/sw.js";

export function browserSupportsPush(): boolean {
	return "serviceWorker" in navigator && "PushManager" in globalThis && "Notification" in globalThis;
}

export class WebPush {
	private vapidKey: Promise<string | null> | null = null;

	constructor(private readonly http: RelayHttpClient) {}

	async status(): Promise<NotificationStatus> {
		if (!browserSupportsPush()) return "unsupported";
		if ((await this.relayKey()) === null) return "unavailable";
		if (Notification.permission === "denied") return "blocked";
		const subscription = await currentSubscription();
		return subscription && Notification.permission === "granted" ? "on" : "off";
	}

	/** Only ever called from the user's click: the permission prompt appears then, never on load. */
	async enable(token: string): Promise<NotificationStatus> {
		if (!browserSupportsPush()) return "unsupported";
		const vapidKey = await this.relayKey();
		if (vapidKey === null) return "unavailable";
		const permission = await Notification.requestPermission();
		if (permission === "denied") return "blocked";
		if (permission !== "granted") return "off";
		await navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: "/" });
		const registration = await navigator.serviceWorker.ready;
		const key = decodeBase64Url(vapidKey);
		if (!key) return "unavailable";
		let subscription = await registration.pushManager.getSubscription();
		// Subscribed under an older relay key (the operator replaced the pair): that subscription is dead.
		if (subscription && !sameBytes(subscription.options.applicationServerKey, key)) {
			await subscription.unsubscribe();
			subscription = null;
		}
		subscription ??= await registration.pushManager.subscribe({
			userVisibleOnly: true,
			applicationServerKey: key,
		});
		await this.http.subscribePush(token, subscriptionBody(subscription));
		return "on";
	}

	/**
	 * Removes the subscription from the relay (when there is a token: after a sign-out the relay has
	 * already dropped it) and from the browser, so the push service refuses any later push as well.
	 */
	async disable(token: string | null): Promise<void> {
		if (!browserSupportsPush()) return;
		const subscription = await currentSubscription();
		if (!subscription) return;
		try {
			if (token !== null) await this.http.unsubscribePush(token, subscription.endpoint);
		} finally {
			await subscription.unsubscribe();
		}
	}

	/** On start: the relay forgets subscriptions when the phone registers again; tell it once more. */
	async resend(token: string): Promise<void> {
		if (!browserSupportsPush() || Notification.permission !== "granted") return;
		const subscription = await currentSubscription();
		if (subscription) await this.http.subscribePush(token, subscriptionBody(subscription));
	}

	private relayKey(): Promise<string | null> {
		this.vapidKey ??= this.http.pushSettings().then(
			(settings) => (settings.enabled ? settings.vapidPublicKey : null),
			(error: unknown) => {
				this.vapidKey = null;
				throw error;
			},
		);
		return this.vapidKey;
	}
}

async function currentSubscription(): Promise<PushSubscription | null> {
	const registration = await navigator.serviceWorker.getRegistration("/");
	return (await registration?.pushManager.getSubscription()) ?? null;
}

function subscriptionBody(subscription: PushSubscription): PushSubscriptionBody {
	const p256dh = subscription.getKey("p256dh");
	const auth = subscription.getKey("auth");
	if (!p256dh || !auth) throw new Error("the browser's push subscription has no encryption keys");
	return {
		endpoint: subscription.endpoint,
		keys: { p256dh: encodeBase64Url(new Uint8Array(p256dh)), auth: encodeBase64Url(new Uint8Array(auth)) },
	};
}

function sameBytes(buffer: ArrayBuffer | null, bytes: Uint8Array): boolean {
	if (!buffer || buffer.byteLength !== bytes.length) return false;
	const other = new Uint8Array(buffer);
	return bytes.every((byte, i) => other[i] === byte);
}
