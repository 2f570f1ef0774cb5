// Verification codes for one phone (docs/PROTOCOL.md §Registration): valid 10 minutes, single use,
// 5 checks per code, resends spaced 60 s and capped at 5 per hour. Stored only as a keyed hash.

import type { E164 } from "../../protocol/wire/index.ts";
import { failure, type Outcome, success } from "../relay-error.ts";
import { keyedHash, keyedHashMatches } from "../security/keyed-hash.ts";
import { generateVerificationCode } from "../security/verification-code.ts";

export const CODE_TTL_MS = 10 * 60_000;
export const CHECKS_PER_CODE = 5;
const HOUR_MS = 3_600_000;

/** Per-phone request limits (RelayConfig: CODE_RESEND_INTERVAL_SECONDS, CODES_PER_HOUR; defaults 60 s, 5). */
export interface CodeRequestLimits {
	resendIntervalMs: number;
	perHour: number;
}

export interface IssuedCode {
	code: string;
	expiresIn: number;
	resendAfter: number;
}

export class VerificationCodes {
	constructor(
		private readonly sql: SqlStorage,
		private readonly hashKey: string,
		private readonly phone: E164,
		private readonly limits: CodeRequestLimits,
	) {}

	async issue(now: number): Promise<Outcome<IssuedCode>> {
		this.sql.exec("DELETE FROM code_requests WHERE requested_at <= ?", now - HOUR_MS);
		const recent = this.sql
			.exec<{ requested_at: number }>("SELECT requested_at FROM code_requests ORDER BY requested_at")
			.toArray()
			.map((row) => row.requested_at);
		const last = recent.at(-1);
		const { resendIntervalMs, perHour } = this.limits;
		if (last !== undefined && now - last < resendIntervalMs) {
			return failure("rate_limited", "A code was sent moments ago; wait before asking for another.", {
				retryAfter: Math.ceil((last + resendIntervalMs - now) / 1000),
			});
		}
		const oldest = recent[0];
		if (recent.length >= perHour && oldest !== undefined) {
			return failure(
				"rate_limited",
				`At most ${perHour} codes per hour are sent to one phone; try again later.`,
				{
					retryAfter: Math.ceil((oldest + HOUR_MS - now) / 1000),
				},
			);
		}
		// Recorded before the first await, so concurrent requests see it (no input gate covers crypto).
		this.sql.exec("INSERT INTO code_requests (requested_at) VALUES (?)", now);
		const code = generateVerificationCode();
		const codeHash = await keyedHash(this.hashKey, "verification-code", this.phone, code);
		this.sql.exec(
			"INSERT OR REPLACE INTO verification (id, code_hash, expires_at, checks_left) VALUES (1, ?, ?, ?)",
			codeHash,
			now + CODE_TTL_MS,
			CHECKS_PER_CODE,
		);
		return success({ code, expiresIn: CODE_TTL_MS / 1000, resendAfter: Math.ceil(resendIntervalMs / 1000) });
	}

	/** Checks `code`; a correct code is consumed. Every check, right or wrong, spends one of the code's checks. */
	async check(code: string, now: number): Promise<Outcome<null>> {
		const row = this.sql
			.exec<{ code_hash: string; expires_at: number; checks_left: number }>(
				"SELECT code_hash, expires_at, checks_left FROM verification WHERE id = 1",
			)
			.toArray()[0];
		if (!row || row.expires_at <= now) {
			return failure(
				"code_expired",
				"No valid code for this phone (never requested, expired or already used); request a new code.",
			);
		}
		if (row.checks_left <= 0) {
			// A 429 says when to come back: when this phone may ask for a new code.
			return failure(
				"too_many_attempts",
				"Too many wrong codes; this code is no longer accepted. Request a new code.",
				{ retryAfter: this.secondsUntilNextCode(now) },
			);
		}
		// Spent before the await, so parallel guesses cannot share one check.
		const checksLeft = row.checks_left - 1;
		this.sql.exec("UPDATE verification SET checks_left = ? WHERE id = 1", checksLeft);
		if (!(await keyedHashMatches(this.hashKey, row.code_hash, "verification-code", this.phone, code))) {
			return failure(
				"code_incorrect",
				checksLeft > 0
					? `Wrong code; ${checksLeft} ${checksLeft === 1 ? "try" : "tries"} left.`
					: "Wrong code, and that was the last try; request a new code.",
				{ attemptsLeft: checksLeft },
			);
		}
		// Single use even under concurrency: only the check that still finds the row consumes it.
		const consumed = this.sql.exec(
			"DELETE FROM verification WHERE id = 1 AND code_hash = ? AND expires_at > ?",
			row.code_hash,
			now,
		);
		if (consumed.rowsWritten === 0) {
			return failure("code_expired", "This code was already used or replaced; request a new code.");
		}
		return success(null);
	}

	/** Seconds (at least 1) until `issue` would accept a request: resend spacing and hourly cap. */
	private secondsUntilNextCode(now: number): number {
		const recent = this.sql
			.exec<{ requested_at: number }>(
				"SELECT requested_at FROM code_requests WHERE requested_at > ? ORDER BY requested_at",
				now - HOUR_MS,
			)
			.toArray()
			.map((row) => row.requested_at);
		let waitMs = 0;
		const last = recent.at(-1);
		if (last !== undefined) waitMs = Math.max(waitMs, last + this.limits.resendIntervalMs - now);
		const oldest = recent[0];
		if (recent.length >= this.limits.perHour && oldest !== undefined)
			waitMs = Math.max(waitMs, oldest + HOUR_MS - now);
		return Math.max(1, Math.ceil(waitMs / 1000));
	}
}
