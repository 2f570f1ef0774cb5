// A phone's Web Push subscriptions and the push each is owed (docs/PROTOCOL.md §Push notifications).
// One row per browser endpoint, at most MAX_PUSH_SUBSCRIPTIONS (a new one replaces the least recently
// saved). `due_at` is when a push is owed (null: none): set once per burst, cleared when the push went
// out, was given up, or the phone connected (it is reading its messages).
import { MAX_PUSH_SUBSCRIPTIONS, type PushSubscriptionBody } from "../../protocol/wire/index.ts";

export interface StoredSubscription {
	endpoint: string;
	p256dh: string;
	auth: string;
	attempts: number;
}

interface SubscriptionRow extends StoredSubscription {
	[key: string]: SqlStorageValue;
}

export class PushSubscriptions {
	/** Rows held; cached, since the object is the only writer. Most phones have none: no statement then. */
	private count: number | null = null;

	constructor(private readonly sql: SqlStorage) {}

	isEmpty(): boolean {
		if (this.count === null)
			this.count = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM push_subscriptions").one().n;
		return this.count === 0;
	}

	/** Saves (or refreshes) a subscription; beyond the cap the least recently saved ones go. */
	save(subscription: PushSubscriptionBody, now: number): void {
		this.sql.exec(
			`INSERT INTO push_subscriptions (endpoint, p256dh, auth, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, updated_at = excluded.updated_at`,
			subscription.endpoint,
			subscription.keys.p256dh,
			subscription.keys.auth,
			now,
		);
		this.sql.exec(
			`DELETE FROM push_subscriptions WHERE endpoint NOT IN
			(SELECT endpoint FROM push_subscriptions ORDER BY updated_at DESC, endpoint LIMIT ?)`,
			MAX_PUSH_SUBSCRIPTIONS,
		);
		this.count = null;
	}

	remove(endpoint: string): void {
		this.sql.exec("DELETE FROM push_subscriptions WHERE endpoint = ?", endpoint);
		this.count = null;
	}

	removeAll(): void {
		if (this.isEmpty()) return;
		this.sql.exec("DELETE FROM push_subscriptions");
		this.count = 0;
	}

	/**
	 * A message was queued for a phone with no open connection: every subscription not already owed a
	 * push is owed one at `at`, or `spacingMs` after its last push if that is later (one push per burst).
	 * Returns the earliest push now owed, for the alarm; null when there are no subscriptions.
	 */
	owe(at: number, spacingMs: number): number | null {
		if (this.isEmpty()) return null;
		this.sql.exec(
			"UPDATE push_subscriptions SET due_at = max(?, last_sent_at + ?) WHERE due_at IS NULL",
			at,
			spacingMs,
		);
		return this.nextDue();
	}

	/** The phone connected: nothing is owed, and the next message after it leaves pushes at once. */
	online(): void {
		if (this.isEmpty()) return;
		this.sql.exec(
			"UPDATE push_subscriptions SET due_at = NULL, attempts = 0, last_sent_at = 0 WHERE due_at IS NOT NULL OR last_sent_at != 0",
		);
	}

	due(now: number): StoredSubscription[] {
		if (this.isEmpty()) return [];
		return this.sql
			.exec<SubscriptionRow>(
				"SELECT endpoint, p256dh, auth, attempts FROM push_subscriptions WHERE due_at <= ?",
				now,
			)
			.toArray();
	}

	nextDue(): number | null {
		if (this.isEmpty()) return null;
		return this.sql.exec<{ at: number | null }>("SELECT min(due_at) AS at FROM push_subscriptions").one().at;
	}

	sent(endpoint: string, now: number): void {
		this.sql.exec(
			"UPDATE push_subscriptions SET due_at = NULL, attempts = 0, last_sent_at = ? WHERE endpoint = ?",
			now,
			endpoint,
		);
	}

	retryAt(endpoint: string, at: number, attempts: number): void {
		this.sql.exec(
			"UPDATE push_subscriptions SET due_at = ?, attempts = ? WHERE endpoint = ?",
			at,
			attempts,
			endpoint,
		);
	}

	/** This burst's push is given up; the next message queued while offline is owed a new one. */
	giveUp(endpoint: string): void {
		this.sql.exec("UPDATE push_subscriptions SET due_at = NULL, attempts = 0 WHERE endpoint = ?", endpoint);
	}
}
