// Verification codes (issue rules: phone normalisation, code generation, hashed storage, expiry,
// single use, 5 checks per code, resend spacing and hourly cap, per-IP throttling).
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CodeRequestResponse, RegistrationResponse } from "../../protocol/wire/index.ts";
import { generateVerificationCode } from "../../worker/security/verification-code.ts";
import { call, expectError, expectOk, uniqueAddress } from "./helpers/http.ts";
import { newIdentity } from "./helpers/keys.ts";
import { newPhone } from "./helpers/phones.ts";
import { requestCode, stubOf } from "./helpers/register.ts";

const REJECTION_LIMIT = Math.floor(0x1_0000_0000 / 1_000_000) * 1_000_000;

/** A random source that yields `draws` in turn and counts how many were taken. */
function scripted(draws: number[]) {
	let taken = 0;
	return {
		random: (out: Uint32Array) => {
			const value = draws[taken];
			if (value === undefined) throw new Error("random source exhausted");
			out[0] = value;
			taken += 1;
		},
		taken: () => taken,
	};
}

async function confirm(phone: string, code: string, identity?: Awaited<ReturnType<typeof newIdentity>>) {
	const id = identity ?? (await newIdentity());
	return call("/v1/verification/confirm", { body: { phone, code, identity: id.keys } });
}

/** Moves the phone's code-request history and current code back in time by `ms`. */
async function age(phone: string, ms: number) {
	await runInDurableObject(stubOf(phone), (_instance, state) => {
		state.storage.sql.exec("UPDATE code_requests SET requested_at = requested_at - ?", ms);
		state.storage.sql.exec("UPDATE verification SET expires_at = expires_at - ?", ms);
	});
}

describe("generateVerificationCode (injected random source)", () => {
	it("keeps leading zeros", () => {
		const source = scripted([42]);
		expect(generateVerificationCode(source.random)).toBe("000042");
		expect(generateVerificationCode(scripted([0]).random)).toBe("000000");
	});

	it("rejects draws at or above the largest multiple of 10^6 and draws again", () => {
		const source = scripted([REJECTION_LIMIT, 0xffff_ffff, REJECTION_LIMIT - 1]);
		expect(generateVerificationCode(source.random)).toBe("999999");
		expect(source.taken()).toBe(3);
	});

	it("accepts the draw just below the limit without redrawing", () => {
		const source = scripted([1_234_567]);
		expect(generateVerificationCode(source.random)).toBe("234567");
		expect(source.taken()).toBe(1);
	});

	it("produces six digits from the real CSPRNG", () => {
		for (let i = 0; i < 50; i++) expect(generateVerificationCode()).toMatch(/^[0-9]{6}$/);
	});
});

describe("phone numbers", () => {
	it("accepts a possible number and normalises spellings to one E.164 account", async () => {
		const first = await expectOk(
			await call("/v1/verification/request", { body: { phone: "+1 (555) 555-0100" } }),
			CodeRequestResponse,
		);
		expect(first.phone).toBe("+15555550100");
		// Same account: the per-phone resend spacing applies to the other spelling.
		await expectError(
			await call("/v1/verification/request", { body: { phone: "+15555550100" } }),
			"rate_limited",
			429,
		);
		// And the code confirms under a third spelling.
		const confirmed = await expectOk(
			await confirm("+1 555 555 0100", first.code ?? ""),
			RegistrationResponse,
		);
		expect(confirmed.phone).toBe("+15555550100");
	});

	it.each([
		["+44 20 7946 0958", "+442079460958"],
		["+49 30 901820", "+4930901820"],
		["  +33 1 99 00 00 00  ", "+33199000000"],
	])("accepts the possible international number %j as %s", async (input, e164) => {
		const response = await expectOk(
			await call("/v1/verification/request", { body: { phone: input } }),
			CodeRequestResponse,
		);
		expect(response.phone).toBe(e164);
	});

	it.each([
		["no plus", "15555550101"],
		["letters", "+1 555 CALL NOW"],
		["too short", "+1 555"],
		["too long", "+1 555 555 0100 0100 0100"],
		["empty", ""],
		["only plus", "+"],
		["zero country code", "+0 555 555 0100"],
		["too long string", `+1${"5".repeat(60)}`],
	])("rejects garbage (%s) with invalid_phone", async (_name, phone) => {
		await expectError(await call("/v1/verification/request", { body: { phone } }), "invalid_phone", 400);
	});

	it("rejects a non-string phone with invalid_phone", async () => {
		await expectError(
			await call("/v1/verification/request", { body: { phone: 15555550100 } }),
			"invalid_phone",
			400,
		);
	});

	it("rejects malformed bodies with bad_request", async () => {
		await expectError(await call("/v1/verification/request", { rawBody: "{not json" }), "bad_request", 400);
		await expectError(
			await call("/v1/verification/request", { body: { phone: newPhone(), extra: 1 } }),
			"bad_request",
			400,
		);
		await expectError(await call("/v1/verification/request", { rawBody: "null" }), "bad_request", 400);
		await expectError(await call("/v1/verification/request", { body: "+15555550100" }), "bad_request", 400);
		await expectError(await call("/v1/verification/request", { rawBody: "" }), "bad_request", 400);
	});
});

describe("code storage", () => {
	it("stores only a keyed hash of the code", async () => {
		const phone = newPhone();
		const code = await requestCode(phone);
		const dump = await runInDurableObject(stubOf(phone), (_instance, state) => {
			const tables = state.storage.sql
				.exec<{ name: string }>(
					"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'",
				)
				.toArray()
				.map((row) => row.name);
			const rows: unknown[] = [];
			for (const table of tables) rows.push(...state.storage.sql.exec(`SELECT * FROM "${table}"`).toArray());
			return { tables, text: JSON.stringify(rows) };
		});
		expect(dump.tables).toContain("verification");
		expect(dump.text).toContain("code_hash");
		expect(dump.text).not.toContain(code);
	});
});

describe("confirming codes", () => {
	it("a code is single use", async () => {
		const phone = newPhone();
		const code = await requestCode(phone);
		await expectOk(await confirm(phone, code), RegistrationResponse);
		await expectError(await confirm(phone, code), "code_expired", 400);
	});

	it("a code expires after 10 minutes", async () => {
		const phone = newPhone();
		const code = await requestCode(phone);
		await age(phone, 10 * 60_000);
		await expectError(await confirm(phone, code), "code_expired", 400);
	});

	it("a code is still valid just before 10 minutes", async () => {
		const phone = newPhone();
		const code = await requestCode(phone);
		await age(phone, 10 * 60_000 - 5_000);
		await expectOk(await confirm(phone, code), RegistrationResponse);
	});

	it("confirming without a requested code fails with code_expired", async () => {
		await expectError(await confirm(newPhone(), "123456"), "code_expired", 400);
	});

	it("allows at most 5 checks per code; the 6th fails even with the right code", async () => {
		const phone = newPhone();
		const code = await requestCode(phone);
		const wrong = code === "000000" ? "000001" : "000000";
		for (let left = 4; left >= 0; left--) {
			const error = await expectError(await confirm(phone, wrong), "code_incorrect", 400);
			expect(error.attemptsLeft).toBe(left);
		}
		const dead = await confirm(phone, code);
		const retryAfter = Number(dead.headers.get("retry-after"));
		const error = await expectError(dead, "too_many_attempts", 429);
		// Retry-After: when a new code may be requested (the resend spacing since the request).
		expect(retryAfter).toBeGreaterThan(0);
		expect(retryAfter).toBeLessThanOrEqual(60);
		expect(error.retryAfter).toBe(retryAfter);
		await age(phone, 60_000);
		const later = await confirm(phone, code);
		expect(later.headers.get("retry-after")).toBe("1");
		await expectError(later, "too_many_attempts", 429);
		// A new code can indeed be requested now, and works.
		const fresh = await requestCode(phone);
		await expectOk(await confirm(phone, fresh), RegistrationResponse);
	});

	it("the right code on the 5th check still works", async () => {
		const phone = newPhone();
		const code = await requestCode(phone);
		const wrong = code === "000000" ? "000001" : "000000";
		for (let i = 0; i < 4; i++) await expectError(await confirm(phone, wrong), "code_incorrect", 400);
		await expectOk(await confirm(phone, code), RegistrationResponse);
	});

	it("parallel guesses cannot exceed 5 checks", async () => {
		const phone = newPhone();
		const code = await requestCode(phone);
		const identity = await newIdentity();
		const guesses = Array.from({ length: 12 }, (_, i) =>
			String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0"),
		);
		const responses = await Promise.all(guesses.map((guess) => confirm(phone, guess, identity)));
		const statuses = responses.map((response) => response.status);
		expect(statuses.filter((status) => status === 400)).toHaveLength(5);
		expect(statuses.filter((status) => status === 429)).toHaveLength(7);
		await expectError(await confirm(phone, code, identity), "too_many_attempts", 429);
	});

	it("the right code confirmed twice at once registers only once", async () => {
		const phone = newPhone();
		const code = await requestCode(phone);
		const identity = await newIdentity();
		const responses = await Promise.all([confirm(phone, code, identity), confirm(phone, code, identity)]);
		expect(responses.map((response) => response.status).sort()).toEqual([200, 400]);
		for (const response of responses) await response.body?.cancel();
		const tokens = await runInDurableObject(
			stubOf(phone),
			(_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM tokens").one().n,
		);
		expect(tokens).toBe(1);
	});

	it("rejects a malformed code with bad_request without spending a check", async () => {
		const phone = newPhone();
		const code = await requestCode(phone);
		for (const bad of ["12345", "1234567", "abcdef", "12 345"]) {
			await expectError(await confirm(phone, bad), "bad_request", 400);
		}
		const wrong = code === "000000" ? "000001" : "000000";
		const error = await expectError(await confirm(phone, wrong), "code_incorrect", 400);
		expect(error.attemptsLeft).toBe(4);
	});

	it("a new code replaces the old one", async () => {
		const phone = newPhone();
		const first = await requestCode(phone);
		await age(phone, 60_000);
		const second = await requestCode(phone);
		if (first !== second) await expectError(await confirm(phone, first), "code_incorrect", 400);
		await expectOk(await confirm(phone, second), RegistrationResponse);
	});
});

describe("resend limits per phone", () => {
	it("spaces resends by 60 s with a Retry-After header", async () => {
		const phone = newPhone();
		await requestCode(phone);
		const response = await call("/v1/verification/request", { body: { phone } });
		const retryAfter = Number(response.headers.get("retry-after"));
		const error = await expectError(response, "rate_limited", 429);
		expect(retryAfter).toBeGreaterThan(0);
		expect(retryAfter).toBeLessThanOrEqual(60);
		expect(error.retryAfter).toBe(retryAfter);
		await age(phone, 60_000);
		await requestCode(phone);
	});

	it("caps codes at 5 per hour", async () => {
		const phone = newPhone();
		for (let i = 0; i < 5; i++) {
			await requestCode(phone);
			await age(phone, 61_000);
		}
		const response = await call("/v1/verification/request", { body: { phone } });
		expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
		const error = await expectError(response, "rate_limited", 429);
		// The oldest request is 5 × 61 s old: it leaves the hour window in about 55 minutes.
		expect(error.retryAfter).toBeGreaterThan(50 * 60);
		await age(phone, 60 * 60_000 - 5 * 61_000);
		await requestCode(phone);
	});

	it("concurrent requests for one phone issue one code", async () => {
		const phone = newPhone();
		const responses = await Promise.all(
			Array.from({ length: 5 }, () => call("/v1/verification/request", { body: { phone } })),
		);
		expect(responses.map((response) => response.status).sort()).toEqual([200, 429, 429, 429, 429]);
		for (const response of responses) await response.body?.cancel();
	});

	it("limits are per phone: another phone is unaffected", async () => {
		const phone = newPhone();
		await requestCode(phone);
		await expectError(await call("/v1/verification/request", { body: { phone } }), "rate_limited", 429);
		await requestCode(newPhone());
	});
});

describe("per-IP throttling (CODE_REQUESTS_PER_IP, 30 per 60 s)", () => {
	it("limits one address to 30 requests, with Retry-After, and leaves other addresses alone", async () => {
		// The limiter counts in windows aligned to the clock's minutes (as Cloudflare's does): 31 requests
		// that straddle a minute would be counted in two windows. Start early in one.
		const intoWindow = Date.now() % 60_000;
		if (intoWindow > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoWindow + 250));
		const address = uniqueAddress();
		const statuses: number[] = [];
		for (let i = 0; i < 30; i++) {
			const response = await call("/v1/verification/request", { body: { phone: newPhone() }, address });
			statuses.push(response.status);
			await response.body?.cancel();
		}
		expect(statuses.every((status) => status === 200)).toBe(true);
		const limited = await call("/v1/verification/request", { body: { phone: newPhone() }, address });
		expect(limited.headers.get("retry-after")).toBe("60");
		await expectError(limited, "rate_limited", 429);
		// Confirm attempts from that address are throttled too.
		await expectError(await call("/v1/verification/confirm", { address, body: {} }), "rate_limited", 429);
		await requestCode(newPhone());
	}, 45_000);
});
