// Web Push for one phone's object (docs/PROTOCOL.md §Push notifications). When a message is queued
// for a phone with no open connection, each of its subscriptions is owed one push, sent by the
// object's alarm PUSH_DELAY_MS later: messages arriving meanwhile ride on the same push, and after a
// push the next one waits PUSH_SPACING_MS unless the phone connected in between (one push per burst).
// 404/410 delete the subscription; 429, 5xx and no answer are retried with doubling delays, at most
// MAX_ATTEMPTS times; anything else gives this burst up. Pushes are sent from the alarm, never on the
// message's path, and a failed push changes nothing in the mailbox: it can delay or lose no message.
import type { PushSubscriptionBody } from "../../protocol/wire/index.ts";
import { failure, type Outcome, success } from "../relay-error.ts";
import { checkPushEndpoint } from "./endpoint-policy.ts";
import type { PushConfig } from "./push-config.ts";
import { sendPush } from "./push-sender.ts";
import { PushSubscriptions } from "./push-subscriptions.ts";
import { importVapidKey } from "./vapid.ts";

/** Wait after the first message of a burst: the rest of the burst (or a reconnect) comes meanwhile. */
export const PUSH_DELAY_MS = 1_000;
/** Least time between two pushes to one subscription while the phone stays offline. */
export const PUSH_SPACING_MS = 60_000;
/** Sends per push, the first included, before the burst is given up. */
export const MAX_ATTEMPTS = 4;
const FIRST_RETRY_MS = 1_000;
/** No retry waits longer, whatever a push service's Retry-After asks. */
const MAX_RETRY_MS = 60_000;

export function retryDelayMs(failedAttempts: number, retryAfterMs: number | null): number {
	const backoff = FIRST_RETRY_MS * 2 ** (failedAttempts - 1);
	return Math.min(MAX_RETRY_MS, Math.max(backoff, retryAfterMs ?? 0));
}

export class PushNotifier {
	private readonly subscriptions: PushSubscriptions;
	private vapidKey: Promise<CryptoKey> | null = null;

	constructor(
		sql: SqlStorage,
		private readonly push: PushConfig | null,
		private readonly environment: "development" | "production",
		private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
	) {
		this.subscriptions = new PushSubscriptions(sql);
	}

	subscribe(subscription: PushSubscriptionBody, now: number): Outcome<null> {
		if (!this.push) return pushOff();
		const check = checkPushEndpoint(subscription.endpoint, this.push, this.environment);
		if (!check.ok) return failure("bad_request", `Push subscription refused: ${check.reason}.`);
		this.subscriptions.save(subscription, now);
		return success(null);
	}

	/** Removing a subscription the relay does not hold is not an error: the outcome is the same. */
	unsubscribe(endpoint: string): Outcome<null> {
		if (!this.push) return pushOff();
		this.subscriptions.remove(endpoint);
		return success(null);
	}

	/** Signed out or registered again: whoever held the phone before gets no more pushes. */
	removeAll(): void {
		this.subscriptions.removeAll();
	}

	/** A message was queued with no open connection; returns when the alarm must send (null: nothing). */
	messageQueued(now: number): number | null {
		if (!this.push) return null;
		return this.subscriptions.owe(now + PUSH_DELAY_MS, PUSH_SPACING_MS);
	}

	online(): void {
		this.subscriptions.online();
	}

	nextDue(): number | null {
		return this.push ? this.subscriptions.nextDue() : null;
	}

	/** Sends every push that is due. Never throws: a push problem must not disturb the alarm's other work. */
	async sendDue(now: number): Promise<void> {
		const push = this.push;
		if (!push) return;
		const due = this.subscriptions.due(now);
		if (due.length === 0) return;
		let key: CryptoKey;
		try {
			this.vapidKey ??= importVapidKey(push);
			key = await this.vapidKey;
		} catch (error) {
			this.vapidKey = null;
			console.error(
				`push: VAPID key refused (${error instanceof Error ? error.name : "error"}); check VAPID_PRIVATE_KEY`,
			);
			for (const subscription of due) this.subscriptions.giveUp(subscription.endpoint);
			return;
		}
		await Promise.all(
			due.map(async (subscription) => {
				// Checked again: the allowlist or the environment may have changed since it was saved.
				const check = checkPushEndpoint(subscription.endpoint, push, this.environment);
				if (!check.ok) {
					this.subscriptions.remove(subscription.endpoint);
					return;
				}
				const result = await sendPush(subscription, check.url, push, key, now, this.fetchImpl);
				switch (result.kind) {
					case "sent":
						this.subscriptions.sent(subscription.endpoint, Date.now());
						return;
					case "gone":
						this.subscriptions.remove(subscription.endpoint);
						return;
					case "retry": {
						const attempts = subscription.attempts + 1;
						if (attempts >= MAX_ATTEMPTS) {
							console.warn(
								`push: given up after ${attempts} attempts (last: ${result.status ?? "no answer"})`,
							);
							this.subscriptions.giveUp(subscription.endpoint);
						} else {
							this.subscriptions.retryAt(
								subscription.endpoint,
								Date.now() + retryDelayMs(attempts, result.retryAfterMs),
								attempts,
							);
						}
						return;
					}
					case "refused":
						console.warn(`push: refused by the push service (${result.status})`);
						this.subscriptions.giveUp(subscription.endpoint);
						return;
				}
			}),
		);
	}
}

function pushOff() {
	return failure("not_found", "This relay does not send push notifications.");
}
