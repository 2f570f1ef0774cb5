// Key directory: PUT /v1/keys, GET /v1/keys, GET /v1/keys/:phone.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import {
	ONE_TIME_PREKEY_GONE_RETENTION_MS,
	SIGNED_PREKEY_RETENTION_MS,
} from "../../protocol/session/prekeys.ts";
import { PrekeyBundle, PrekeyStatus } from "../../protocol/wire/index.ts";
import { MAILBOX_RETENTION_MS } from "../../worker/phone/mailbox.ts";
import { call, expectError, expectOk } from "./helpers/http.ts";
import {
	newKemPrekeys,
	newOneTimePrekeys,
	newSignedPrekey,
	newSignedPrekeyWithKem,
	offCurvePoint,
	tamper,
	unreducedKemKey,
} from "./helpers/keys.ts";
import { newPhone, pathPhone } from "./helpers/phones.ts";
import { type Registered, register, registerWithKeys, stubOf } from "./helpers/register.ts";

function upload(token: string, body: unknown) {
	return call("/v1/keys", { method: "PUT", token, body });
}

function fetchBundle(requester: Registered, target: string) {
	return call(`/v1/keys/${pathPhone(target)}`, { token: requester.token });
}

describe("PUT /v1/keys", () => {
	it("stores a signed prekey and one-time prekeys and reports counts", async () => {
		const me = await register();
		const status = await expectOk(
			await upload(me.token, {
				signedPrekey: await newSignedPrekey(me.identity, 7),
				oneTimePrekeys: await newOneTimePrekeys(10),
			}),
			PrekeyStatus,
		);
		expect(status).toEqual({
			oneTimePrekeys: 10,
			oneTimePrekeyIds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
			signedPrekeyId: 7,
			signedPrekeyKem: false,
			kemPrekeyIds: [],
		});
		expect(await expectOk(await call("/v1/keys", { token: me.token }), PrekeyStatus)).toEqual(status);
	});

	it("a signed prekey with a bad signature is invalid_signature and changes nothing", async () => {
		const me = await registerWithKeys(2);
		const prekey = await newSignedPrekey(me.identity, 9);
		await expectError(
			await upload(me.token, {
				signedPrekey: { ...prekey, signature: tamper(prekey.signature) },
				oneTimePrekeys: await newOneTimePrekeys(3, 100),
			}),
			"invalid_signature",
			400,
		);
		// Signed over a different key id: the signature binds the id too.
		await expectError(
			await upload(me.token, { signedPrekey: { ...prekey, keyId: 10 }, oneTimePrekeys: [] }),
			"invalid_signature",
			400,
		);
		expect(await expectOk(await call("/v1/keys", { token: me.token }), PrekeyStatus)).toEqual({
			oneTimePrekeys: 2,
			oneTimePrekeyIds: [1, 2],
			signedPrekeyId: 1,
			signedPrekeyKem: false,
			kemPrekeyIds: [],
		});
	});

	it("keys that are not on the curve are invalid_key", async () => {
		const me = await registerWithKeys(0);
		const prekey = await newSignedPrekey(me.identity, 3);
		await expectError(
			await upload(me.token, { signedPrekey: { ...prekey, publicKey: offCurvePoint() }, oneTimePrekeys: [] }),
			"invalid_key",
			400,
		);
		await expectError(
			await upload(me.token, { oneTimePrekeys: [{ keyId: 1, publicKey: offCurvePoint() }] }),
			"invalid_key",
			400,
		);
		expect(await expectOk(await call("/v1/keys", { token: me.token }), PrekeyStatus)).toEqual({
			oneTimePrekeys: 0,
			oneTimePrekeyIds: [],
			signedPrekeyId: 1,
			signedPrekeyKem: false,
			kemPrekeyIds: [],
		});
	});

	it("accepts 100 one-time prekeys per upload and refuses 101 with bad_request", async () => {
		const me = await register();
		const keys = await newOneTimePrekeys(101);
		await expectError(await upload(me.token, { oneTimePrekeys: keys }), "bad_request", 400);
		const status = await expectOk(
			await upload(me.token, { oneTimePrekeys: keys.slice(0, 100) }),
			PrekeyStatus,
		);
		expect(status.oneTimePrekeys).toBe(100);
	});

	it("holds at most 200 one-time prekeys (prekey_limit), counting re-uploads of held ids once", async () => {
		const me = await register();
		await expectOk(await upload(me.token, { oneTimePrekeys: await newOneTimePrekeys(100, 1) }), PrekeyStatus);
		await expectOk(
			await upload(me.token, { oneTimePrekeys: await newOneTimePrekeys(99, 101) }),
			PrekeyStatus,
		);
		const error = await expectError(
			await upload(me.token, { oneTimePrekeys: await newOneTimePrekeys(2, 200) }),
			"prekey_limit",
			400,
		);
		expect(error.message).toContain("199");
		// Replacing held ids does not add to the count.
		const replaced = await expectOk(
			await upload(me.token, { oneTimePrekeys: await newOneTimePrekeys(50, 1) }),
			PrekeyStatus,
		);
		expect(replaced.oneTimePrekeys).toBe(199);
		const full = await expectOk(
			await upload(me.token, { oneTimePrekeys: await newOneTimePrekeys(1, 200) }),
			PrekeyStatus,
		);
		expect(full.oneTimePrekeys).toBe(200);
		expect(full.oneTimePrekeyIds).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
		await expectError(
			await upload(me.token, { oneTimePrekeys: await newOneTimePrekeys(1, 201) }),
			"prekey_limit",
			400,
		);
	});

	it("concurrent uploads cannot exceed 200 held one-time prekeys", async () => {
		const me = await register();
		const batches = await Promise.all([1, 101, 201].map((first) => newOneTimePrekeys(100, first)));
		const responses = await Promise.all(
			batches.map((oneTimePrekeys) => upload(me.token, { oneTimePrekeys })),
		);
		expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 400]);
		for (const response of responses) await response.body?.cancel();
		const status = await expectOk(await call("/v1/keys", { token: me.token }), PrekeyStatus);
		expect(status.oneTimePrekeys).toBe(200);
	});

	it.each([
		["unknown field", { oneTimePrekeys: [], extra: true }],
		["missing oneTimePrekeys", {}],
		["negative key id", { oneTimePrekeys: [{ keyId: -1, publicKey: offCurvePoint() }] }],
		["fractional key id", { oneTimePrekeys: [{ keyId: 1.5, publicKey: offCurvePoint() }] }],
		["short key", { oneTimePrekeys: [{ keyId: 1, publicKey: "BAAA" }] }],
		["not base64url", { oneTimePrekeys: [{ keyId: 1, publicKey: `${"+".repeat(87)}` }] }],
		["array body", []],
	])("malformed upload (%s) is bad_request", async (_name, body) => {
		const me = await register();
		await expectError(await upload(me.token, body), "bad_request", 400);
	});

	it("a body that is not JSON is bad_request", async () => {
		const me = await register();
		await expectError(
			await call("/v1/keys", { method: "PUT", token: me.token, rawBody: "{" }),
			"bad_request",
			400,
		);
	});
});

describe("GET /v1/keys", () => {
	it("lists exactly the one-time prekey ids still held, after uploads and bundle handouts", async () => {
		const me = await registerWithKeys(5);
		await expectOk(await upload(me.token, { oneTimePrekeys: await newOneTimePrekeys(3, 40) }), PrekeyStatus);
		const requester = await register();
		const handedOut: (number | undefined)[] = [];
		for (let i = 0; i < 3; i++) {
			handedOut.push(
				(await expectOk(await fetchBundle(requester, me.phone), PrekeyBundle)).oneTimePrekey?.keyId,
			);
		}
		expect(handedOut).toEqual([1, 2, 3]);
		expect(await expectOk(await call("/v1/keys", { token: me.token }), PrekeyStatus)).toEqual({
			oneTimePrekeys: 5,
			oneTimePrekeyIds: [4, 5, 40, 41, 42],
			signedPrekeyId: 1,
			signedPrekeyKem: false,
			kemPrekeyIds: [],
		});
		// The PUT answer lists them too: a held id re-uploaded once, a new one added.
		const after = await expectOk(
			await upload(me.token, { oneTimePrekeys: await newOneTimePrekeys(2, 5) }),
			PrekeyStatus,
		);
		expect(after.oneTimePrekeyIds).toEqual([4, 5, 6, 40, 41, 42]);
		// Drained: an empty list, not a missing one.
		const other = await register();
		for (let i = 0; i < 6; i++) await expectOk(await fetchBundle(other, me.phone), PrekeyBundle);
		expect(await expectOk(await call("/v1/keys", { token: me.token }), PrekeyStatus)).toEqual({
			oneTimePrekeys: 0,
			oneTimePrekeyIds: [],
			signedPrekeyId: 1,
			signedPrekeyKem: false,
			kemPrekeyIds: [],
		});
	});

	it("clients keep handed-out one-time prekeys and replaced signed prekeys as long as the mailbox keeps messages", () => {
		// protocol/session/prekeys.ts cannot import the worker's constant; a first message may wait this long.
		expect(ONE_TIME_PREKEY_GONE_RETENTION_MS).toBeGreaterThanOrEqual(MAILBOX_RETENTION_MS);
		expect(SIGNED_PREKEY_RETENTION_MS).toBeGreaterThanOrEqual(MAILBOX_RETENTION_MS);
	});
});

describe("GET /v1/keys/:phone", () => {
	it("returns identity, signed prekey and one one-time prekey, consuming it", async () => {
		const target = await registerWithKeys(2);
		const requester = await register();
		const first = await expectOk(await fetchBundle(requester, target.phone), PrekeyBundle);
		expect(first.phone).toBe(target.phone);
		expect(first.identity).toEqual(target.identity.keys);
		expect(first.signedPrekey.keyId).toBe(1);
		expect(first.oneTimePrekey?.keyId).toBe(1);
		const second = await expectOk(await fetchBundle(requester, target.phone), PrekeyBundle);
		expect(second.oneTimePrekey?.keyId).toBe(2);
		const status = await expectOk(await call("/v1/keys", { token: target.token }), PrekeyStatus);
		expect(status.oneTimePrekeys).toBe(0);
		// None left: the bundle still works, without a one-time prekey.
		const third = await expectOk(await fetchBundle(requester, target.phone), PrekeyBundle);
		expect(third.oneTimePrekey).toBeUndefined();
		expect(third.signedPrekey).toEqual(first.signedPrekey);
	});

	it("accepts any spelling of the target phone", async () => {
		const target = await registerWithKeys(1);
		const requester = await register();
		const spelled = `+1 (${target.phone.slice(2, 5)}) ${target.phone.slice(5, 8)}-${target.phone.slice(8)}`;
		const bundle = await expectOk(await fetchBundle(requester, spelled), PrekeyBundle);
		expect(bundle.phone).toBe(target.phone);
	});

	it("never hands out a one-time prekey twice, also under concurrent fetches", async () => {
		const target = await registerWithKeys(20);
		const requesters = await Promise.all(Array.from({ length: 4 }, () => register()));
		const responses = await Promise.all(
			requesters.flatMap((requester) =>
				Array.from({ length: 8 }, () => fetchBundle(requester, target.phone)),
			),
		);
		const bundles = await Promise.all(responses.map((response) => expectOk(response, PrekeyBundle)));
		const handedOut = bundles.flatMap((bundle) => (bundle.oneTimePrekey ? [bundle.oneTimePrekey.keyId] : []));
		expect(handedOut).toHaveLength(20);
		expect(new Set(handedOut).size).toBe(20);
		expect(bundles.filter((bundle) => bundle.oneTimePrekey === undefined)).toHaveLength(12);
	});

	it("limits fetches per requester and target: burst of 10, then rate_limited with Retry-After", async () => {
		const target = await registerWithKeys(0);
		const other = await registerWithKeys(0);
		const requester = await register();
		for (let i = 0; i < 10; i++) await expectOk(await fetchBundle(requester, target.phone), PrekeyBundle);
		const limited = await fetchBundle(requester, target.phone);
		const retryAfter = Number(limited.headers.get("retry-after"));
		const error = await expectError(limited, "rate_limited", 429);
		expect(retryAfter).toBeGreaterThan(0);
		expect(retryAfter).toBeLessThanOrEqual(60);
		expect(error.retryAfter).toBe(retryAfter);
		// Per target: the same requester may still fetch another phone's bundle.
		await expectOk(await fetchBundle(requester, other.phone), PrekeyBundle);
		// Per requester: another requester may still fetch this target.
		await expectOk(await fetchBundle(await register(), target.phone), PrekeyBundle);
	});

	it("refills one fetch per minute after the burst", async () => {
		const target = await registerWithKeys(0);
		const requester = await register();
		for (let i = 0; i < 10; i++) await expectOk(await fetchBundle(requester, target.phone), PrekeyBundle);
		await expectError(await fetchBundle(requester, target.phone), "rate_limited", 429);
		// A minute passes for this requester's bucket in the target's object.
		await runInDurableObject(stubOf(target.phone), (_instance, state) => {
			state.storage.sql.exec("UPDATE bundle_fetches SET updated_at = updated_at - 60000");
		});
		await expectOk(await fetchBundle(requester, target.phone), PrekeyBundle);
		await expectError(await fetchBundle(requester, target.phone), "rate_limited", 429);
	});

	it("an unregistered phone is not_registered", async () => {
		const requester = await register();
		await expectError(await fetchBundle(requester, newPhone()), "not_registered", 404);
	});

	it("a registered phone without published keys is not_registered", async () => {
		const requester = await register();
		const target = await register();
		await expectError(await fetchBundle(requester, target.phone), "not_registered", 404);
	});

	it("a garbage phone is invalid_phone", async () => {
		const requester = await register();
		for (const bad of ["12345", "%2Babc", "%2B1"]) {
			await expectError(await call(`/v1/keys/${bad}`, { token: requester.token }), "invalid_phone", 400);
		}
	});
});

describe("suite 2: ML-KEM-768 prekeys", () => {
	it("stores the signed prekey's last-resort KEM key and signed one-time KEM prekeys, and hands each one-time KEM prekey out once", async () => {
		const me = await register();
		const signedPrekey = await newSignedPrekeyWithKem(me.identity, 3);
		const kemPrekeys = await newKemPrekeys(me.identity, 2, 11);
		const status = await expectOk(
			await upload(me.token, { signedPrekey, oneTimePrekeys: await newOneTimePrekeys(1), kemPrekeys }),
			PrekeyStatus,
		);
		expect(status).toEqual({
			oneTimePrekeys: 1,
			oneTimePrekeyIds: [1],
			signedPrekeyId: 3,
			signedPrekeyKem: true,
			kemPrekeyIds: [11, 12],
		});
		const requester = await register();
		const first = await expectOk(await fetchBundle(requester, me.phone), PrekeyBundle);
		expect(first.signedPrekey).toEqual(signedPrekey);
		expect(first.kemPrekey).toEqual(kemPrekeys[0]);
		const second = await expectOk(await fetchBundle(requester, me.phone), PrekeyBundle);
		expect(second.kemPrekey).toEqual(kemPrekeys[1]);
		// None left: the last-resort KEM key (in the signed prekey) still lets sessions start.
		const third = await expectOk(await fetchBundle(requester, me.phone), PrekeyBundle);
		expect(third.kemPrekey).toBeUndefined();
		expect(third.signedPrekey.kemPublicKey).toBe(signedPrekey.kemPublicKey);
		expect((await expectOk(await call("/v1/keys", { token: me.token }), PrekeyStatus)).kemPrekeyIds).toEqual(
			[],
		);
	});

	it("a stripped or swapped last-resort KEM key fails the signed prekey's signature", async () => {
		const me = await register();
		const signedPrekey = await newSignedPrekeyWithKem(me.identity, 4);
		const other = await newSignedPrekeyWithKem(me.identity, 4);
		const { kemPublicKey: _stripped, ...stripped } = signedPrekey;
		await expectError(
			await upload(me.token, { signedPrekey: stripped, oneTimePrekeys: [] }),
			"invalid_signature",
			400,
		);
		await expectError(
			await upload(me.token, {
				signedPrekey: { ...signedPrekey, kemPublicKey: other.kemPublicKey },
				oneTimePrekeys: [],
			}),
			"invalid_signature",
			400,
		);
		expect((await expectOk(await call("/v1/keys", { token: me.token }), PrekeyStatus)).signedPrekeyId).toBe(
			null,
		);
	});

	it("refuses KEM prekeys with a bad signature, an unreduced key or a wrong length, storing nothing", async () => {
		const me = await register();
		const [good] = await newKemPrekeys(me.identity, 1, 5);
		if (!good) throw new Error("no KEM prekey");
		await expectError(
			await upload(me.token, {
				oneTimePrekeys: [],
				kemPrekeys: [{ ...good, signature: tamper(good.signature) }],
			}),
			"invalid_signature",
			400,
		);
		await expectError(
			await upload(me.token, { oneTimePrekeys: [], kemPrekeys: [{ ...good, keyId: 6 }] }),
			"invalid_signature",
			400,
		);
		// Unreduced coefficients (FIPS 203 modulus check), refused before the signature is looked at.
		const unreduced = encodeBase64Url(await unreducedKemKey());
		await expectError(
			await upload(me.token, { oneTimePrekeys: [], kemPrekeys: [{ ...good, publicKey: unreduced }] }),
			"invalid_key",
			400,
		);
		const signedUnreduced = await newSignedPrekeyWithKem(me.identity, 1);
		await expectError(
			await upload(me.token, {
				signedPrekey: { ...signedUnreduced, kemPublicKey: unreduced },
				oneTimePrekeys: [],
			}),
			"invalid_key",
			400,
		);
		await expectError(
			await upload(me.token, {
				oneTimePrekeys: [],
				kemPrekeys: [{ ...good, publicKey: good.publicKey.slice(4) }],
			}),
			"bad_request",
			400,
		);
		expect((await expectOk(await call("/v1/keys", { token: me.token }), PrekeyStatus)).kemPrekeyIds).toEqual(
			[],
		);
	});

	it("accepts 25 KEM prekeys per upload (refusing 26) and holds at most 100 (prekey_limit)", async () => {
		const me = await register();
		const batch = await newKemPrekeys(me.identity, 26, 1);
		await expectError(await upload(me.token, { oneTimePrekeys: [], kemPrekeys: batch }), "bad_request", 400);
		for (let first = 1; first <= 100; first += 25) {
			const status = await expectOk(
				await upload(me.token, {
					oneTimePrekeys: [],
					kemPrekeys: first === 1 ? batch.slice(0, 25) : await newKemPrekeys(me.identity, 25, first),
				}),
				PrekeyStatus,
			);
			expect(status.kemPrekeyIds).toHaveLength(first + 24);
		}
		const refused = await expectError(
			await upload(me.token, { oneTimePrekeys: [], kemPrekeys: await newKemPrekeys(me.identity, 1, 500) }),
			"prekey_limit",
			400,
		);
		expect(refused.message).toContain("100");
		// Re-uploading a held id counts once.
		await expectOk(
			await upload(me.token, { oneTimePrekeys: [], kemPrekeys: batch.slice(0, 1) }),
			PrekeyStatus,
		);
	});

	it("never hands out a one-time KEM prekey twice under concurrent fetches", async () => {
		const target = await register();
		await expectOk(
			await upload(target.token, {
				signedPrekey: await newSignedPrekeyWithKem(target.identity, 1),
				oneTimePrekeys: [],
				kemPrekeys: await newKemPrekeys(target.identity, 6, 1),
			}),
			PrekeyStatus,
		);
		const requesters = await Promise.all(Array.from({ length: 3 }, () => register()));
		const responses = await Promise.all(
			requesters.flatMap((requester) =>
				Array.from({ length: 4 }, () => fetchBundle(requester, target.phone)),
			),
		);
		const bundles = await Promise.all(responses.map((response) => expectOk(response, PrekeyBundle)));
		const handedOut = bundles.flatMap((bundle) => (bundle.kemPrekey ? [bundle.kemPrekey.keyId] : []));
		expect(handedOut.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
	});
});
