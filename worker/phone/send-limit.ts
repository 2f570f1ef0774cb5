// The per-pair send limit (docs/PROTOCOL.md §Sending rules): a burst of 60 per recipient, then one per
// second, kept by the sender's object. The buckets live in memory, so a send costs no write; each is
// checkpointed to SQLite whenever the stored copy would grant CHECKPOINT_SLACK or more tokens beyond the
// true count. An object evicted after a burst (idle for a few tens of seconds) or restarted by a deploy
// reloads the checkpoint: the burst is not handed out again, and the sender gains fewer than
// CHECKPOINT_SLACK sends per eviction. A pair within one message a second writes nothing (its bucket
// stays full); a faster one writes one row per CHECKPOINT_SLACK messages, and refused sends none.
import type { E164 } from "../../protocol/wire/index.ts";
import { type BucketDecision, type BucketRule, type BucketState, takeToken } from "./token-bucket.ts";

export const SEND_RULE: BucketRule = { burst: 60, refillSeconds: 1 };
export const CHECKPOINT_SLACK = 10;

interface Bucket {
	/** The true bucket, after the latest send. */
	state: BucketState | undefined;
	/** What SQLite holds (undefined: no row, which reads as a full bucket). */
	saved: BucketState | undefined;
}

/** The statement this module needs; the object's `ctx.storage.sql`. */
export type SqlExec = Pick<SqlStorage, "exec">;

export class SendLimit {
	private readonly buckets = new Map<E164, Bucket>();

	constructor(private readonly sql: SqlExec) {}

	/** Takes one send to `recipient` out of its bucket, if there is one. */
	take(recipient: E164, now: number): BucketDecision {
		const bucket = this.buckets.get(recipient) ?? this.load(recipient);
		const decision = takeToken(SEND_RULE, bucket.state, now);
		bucket.state = decision.state;
		// A refused send takes nothing: the stored copy grants no more than before.
		if (decision.allowed && tokensAt(bucket.saved, now) - decision.state.tokens >= CHECKPOINT_SLACK) {
			this.save(recipient, decision.state, now);
			bucket.saved = decision.state;
		}
		return decision;
	}

	private load(recipient: E164): Bucket {
		const row = this.sql
			.exec<{ tokens: number; updated_at: number }>(
				"SELECT tokens, updated_at FROM send_buckets WHERE recipient = ?",
				recipient,
			)
			.toArray()[0];
		const saved = row ? { tokens: row.tokens, updatedAt: row.updated_at } : undefined;
		const bucket = { state: saved, saved };
		this.buckets.set(recipient, bucket);
		return bucket;
	}

	private save(recipient: E164, state: BucketState, now: number): void {
		// Rows that have refilled since are full buckets, the same as no row: dropped with this write.
		this.sql.exec("DELETE FROM send_buckets WHERE updated_at <= ?", now - REFILL_MS);
		this.sql.exec(
			`INSERT INTO send_buckets (recipient, tokens, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (recipient) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
			recipient,
			state.tokens,
			state.updatedAt,
		);
	}
}

/** Time for an empty bucket to fill up again. */
const REFILL_MS = SEND_RULE.burst * SEND_RULE.refillSeconds * 1000;

/** Tokens a stored bucket holds at `now` (no row: a full bucket). */
function tokensAt(state: BucketState | undefined, now: number): number {
	if (!state) return SEND_RULE.burst;
	const refilled = Math.max(0, now - state.updatedAt) / 1000 / SEND_RULE.refillSeconds;
	return Math.min(SEND_RULE.burst, state.tokens + refilled);
}
