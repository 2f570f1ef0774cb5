// Token bucket: `burst` actions at once, then one per `refillSeconds`. Pure, so the same rule serves
// bundle fetches (stored per fetch) and sends (in memory, checkpointed: send-limit.ts).

export interface BucketRule {
	burst: number;
	refillSeconds: number;
}

export interface BucketState {
	tokens: number;
	updatedAt: number;
}

export type BucketDecision =
	| { allowed: true; state: BucketState }
	| { allowed: false; state: BucketState; retryAfter: number };

export function takeToken(rule: BucketRule, previous: BucketState | undefined, now: number): BucketDecision {
	const elapsed = previous ? Math.max(0, now - previous.updatedAt) / 1000 : 0;
	const tokens = previous ? Math.min(rule.burst, previous.tokens + elapsed / rule.refillSeconds) : rule.burst;
	if (tokens >= 1) return { allowed: true, state: { tokens: tokens - 1, updatedAt: now } };
	return {
		allowed: false,
		state: { tokens, updatedAt: now },
		retryAfter: Math.ceil((1 - tokens) * rule.refillSeconds),
	};
}
