// Registration with identity keys, re-registration, and session tokens over HTTP and WebSocket.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { CLOSE_CODES, PrekeyStatus, RegistrationResponse } from "../../protocol/wire/index.ts";
import { call, expectError, expectOk } from "./helpers/http.ts";
import { newIdentity, newOneTimePrekeys, newSignedPrekey, offCurvePoint, tamper } from "./helpers/keys.ts";
import { newPhone } from "./helpers/phones.ts";
import { register, registerWithKeys, requestCode, reRegister, stubOf } from "./helpers/register.ts";
import { connect, connectDrained, openSocket } from "./helpers/socket.ts";

function confirm(phone: string, code: string, identity: unknown) {
	return call("/v1/verification/confirm", { body: { phone, code, identity } });
}

const keyStatus = (token: string) => call("/v1/keys", { token });

describe("registration", () => {
	it("registers with valid identity keys and returns a working token", async () => {
		const phone = newPhone();
		const identity = await newIdentity();
		const code = await requestCode(phone);
		const registered = await expectOk(await confirm(phone, code, identity.keys), RegistrationResponse);
		expect(registered.phone).toBe(phone);
		expect(registered.identityChanged).toBe(false);
		const status = await expectOk(await keyStatus(registered.token), PrekeyStatus);
		expect(status).toEqual({
			oneTimePrekeys: 0,
			oneTimePrekeyIds: [],
			signedPrekeyId: null,
			signedPrekeyKem: false,
			kemPrekeyIds: [],
		});
	});

	it("stores no plaintext token", async () => {
		const { phone, token } = await register();
		const text = await runInDurableObject(stubOf(phone), (_instance, state) =>
			JSON.stringify(state.storage.sql.exec("SELECT * FROM tokens").toArray()),
		);
		expect(text).toContain("token_hash");
		expect(text).not.toContain(token.split(".")[1]);
	});

	it("a bad DH key signature is invalid_signature and does not burn the code", async () => {
		const phone = newPhone();
		const identity = await newIdentity();
		const code = await requestCode(phone);
		const forged = { ...identity.keys, dhKeySignature: tamper(identity.keys.dhKeySignature) };
		await expectError(await confirm(phone, code, forged), "invalid_signature", 400);
		// Signed by a different signing key: also invalid_signature.
		const other = await newIdentity();
		await expectError(
			await confirm(phone, code, { ...identity.keys, dhKeySignature: other.keys.dhKeySignature }),
			"invalid_signature",
			400,
		);
		// The code still has all 5 checks: 4 wrong guesses and then the right code works.
		const wrong = code === "000000" ? "000001" : "000000";
		for (let i = 0; i < 4; i++)
			await expectError(await confirm(phone, wrong, identity.keys), "code_incorrect", 400);
		await expectOk(await confirm(phone, code, identity.keys), RegistrationResponse);
	});

	it("a key that is not on the curve is invalid_key and does not burn the code", async () => {
		const phone = newPhone();
		const identity = await newIdentity();
		const code = await requestCode(phone);
		await expectError(
			await confirm(phone, code, { ...identity.keys, dhKey: offCurvePoint() }),
			"invalid_key",
			400,
		);
		await expectError(
			await confirm(phone, code, { ...identity.keys, signingKey: offCurvePoint() }),
			"invalid_key",
			400,
		);
		await expectOk(await confirm(phone, code, identity.keys), RegistrationResponse);
	});

	it.each([
		["coordinates ≥ p", encodeBase64Url(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 0xff)))],
		["all-zero coordinates", encodeBase64Url(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 0)))],
	])("a public key with %s is invalid_key", async (_name, point) => {
		const phone = newPhone();
		const identity = await newIdentity();
		const code = await requestCode(phone);
		await expectError(await confirm(phone, code, { ...identity.keys, dhKey: point }), "invalid_key", 400);
		await expectError(
			await confirm(phone, code, { ...identity.keys, signingKey: point }),
			"invalid_key",
			400,
		);
		await expectOk(await confirm(phone, code, identity.keys), RegistrationResponse);
	});

	it.each([
		["all zeros (r = s = 0)", encodeBase64Url(new Uint8Array(64))],
		["all ones (r, s ≥ n)", encodeBase64Url(new Uint8Array(64).fill(0xff))],
	])("a signature of %s is invalid_signature", async (_name, signature) => {
		const phone = newPhone();
		const identity = await newIdentity();
		const code = await requestCode(phone);
		await expectError(
			await confirm(phone, code, { ...identity.keys, dhKeySignature: signature }),
			"invalid_signature",
			400,
		);
		await expectOk(await confirm(phone, code, identity.keys), RegistrationResponse);
	});

	it("malformed identity fields are bad_request", async () => {
		const phone = newPhone();
		const identity = await newIdentity();
		const code = await requestCode(phone);
		const cases: unknown[] = [
			undefined,
			{ ...identity.keys, dhKey: "AAAA" },
			{ ...identity.keys, signingKey: `${identity.keys.signingKey}=` },
			{ ...identity.keys, dhKeySignature: identity.keys.dhKeySignature.slice(1) },
			{ ...identity.keys, extra: "x" },
			{ signingKey: identity.keys.signingKey, dhKey: identity.keys.dhKey },
		];
		for (const bad of cases) await expectError(await confirm(phone, code, bad), "bad_request", 400);
		await expectOk(await confirm(phone, code, identity.keys), RegistrationResponse);
	});

	it("re-registering with the same identity revokes the old token and keeps the prekeys", async () => {
		const first = await registerWithKeys(3);
		const again = await reRegister(first.phone, first.identity);
		expect(again.identityChanged).toBe(false);
		await expectError(await keyStatus(first.token), "unauthenticated", 401);
		const status = await expectOk(await keyStatus(again.token), PrekeyStatus);
		expect(status).toEqual({
			oneTimePrekeys: 3,
			oneTimePrekeyIds: [1, 2, 3],
			signedPrekeyId: 1,
			signedPrekeyKem: false,
			kemPrekeyIds: [],
		});
	});

	it("re-registering with a new identity replaces it, revokes the old token and drops the old prekeys", async () => {
		const first = await registerWithKeys(5);
		const fetcher = await register();
		const again = await reRegister(first.phone);
		expect(again.identityChanged).toBe(true);
		await expectError(await keyStatus(first.token), "unauthenticated", 401);
		const status = await expectOk(await keyStatus(again.token), PrekeyStatus);
		expect(status).toEqual({
			oneTimePrekeys: 0,
			oneTimePrekeyIds: [],
			signedPrekeyId: null,
			signedPrekeyKem: false,
			kemPrekeyIds: [],
		});
		// Contacts no longer get the old keys: no bundle until new ones are published.
		await expectError(
			await call(`/v1/keys/${encodeURIComponent(first.phone)}`, { token: fetcher.token }),
			"not_registered",
			404,
		);
		// The old signed prekey no longer verifies against the new identity; a new one does.
		await expectError(
			await call("/v1/keys", {
				method: "PUT",
				token: again.token,
				body: { signedPrekey: await newSignedPrekey(first.identity, 2), oneTimePrekeys: [] },
			}),
			"invalid_signature",
			400,
		);
		await expectOk(
			await call("/v1/keys", {
				method: "PUT",
				token: again.token,
				body: {
					signedPrekey: await newSignedPrekey(again.identity, 2),
					oneTimePrekeys: await newOneTimePrekeys(1),
				},
			}),
			PrekeyStatus,
		);
	});

	it("re-registration closes the old token's connected socket with 4004", async () => {
		const first = await register();
		const { socket } = await connectDrained(first.phone, first.token);
		await reRegister(first.phone, first.identity);
		expect((await socket.closeEvent()).code).toBe(CLOSE_CODES.revoked);
	});
});

describe("tokens over HTTP", () => {
	it.each([
		["missing", {}],
		["not Bearer", { authorization: "Basic abc" }],
		["malformed", { authorization: "Bearer not-a-token" }],
		["empty bearer", { authorization: "Bearer " }],
		["two parts", { authorization: "Bearer a b" }],
	])("%s token → 401 unauthenticated", async (_name, headers) => {
		await expectError(await call("/v1/keys", { headers }), "unauthenticated", 401);
		await expectError(
			await call("/v1/keys", { method: "PUT", headers, body: { oneTimePrekeys: [] } }),
			"unauthenticated",
			401,
		);
		await expectError(
			await call(`/v1/keys/${encodeURIComponent(newPhone())}`, { headers }),
			"unauthenticated",
			401,
		);
		await expectError(await call("/v1/session", { method: "DELETE", headers }), "unauthenticated", 401);
	});

	it("the Bearer scheme name is case-insensitive", async () => {
		const { token } = await register();
		for (const scheme of ["Bearer", "bearer", "BEARER"]) {
			await expectOk(
				await call("/v1/keys", { headers: { authorization: `${scheme} ${token}` } }),
				PrekeyStatus,
			);
		}
	});

	it("a well-formed but wrong token → 401", async () => {
		const { token } = await register();
		const [digits, secret] = token.split(".") as [string, string];
		const wrong = `${digits}.${tamper(secret)}`;
		await expectError(await keyStatus(wrong), "unauthenticated", 401);
		// A valid token's secret presented for another phone.
		const other = await register();
		const swapped = `${other.phone.slice(1)}.${secret}`;
		await expectError(await keyStatus(swapped), "unauthenticated", 401);
		await expectError(
			await call(`/v1/keys/${encodeURIComponent(other.phone)}`, { token: swapped }),
			"unauthenticated",
			401,
		);
		// A token for a phone that never registered.
		await expectError(await keyStatus(`1555555999.${secret}`), "unauthenticated", 401);
	});

	it("DELETE /v1/session revokes the token", async () => {
		const { token } = await register();
		await expectOk(await keyStatus(token), PrekeyStatus);
		const deleted = await call("/v1/session", { method: "DELETE", token });
		expect(deleted.status).toBe(204);
		await expectError(await keyStatus(token), "unauthenticated", 401);
		await expectError(await call("/v1/session", { method: "DELETE", token }), "unauthenticated", 401);
	});
});

describe("tokens over WebSocket", () => {
	it("a missing token closes with 4001", async () => {
		const { phone } = await register();
		const socket = await openSocket(phone);
		socket.send({ type: "hello", protocol: 1 });
		const error = await socket.next("error");
		expect(error.code).toBe("unauthenticated");
		expect((await socket.closeEvent()).code).toBe(CLOSE_CODES.unauthenticated);
	});

	it.each([
		["malformed", "garbage"],
		["empty", ""],
	])("a %s token closes with 4001", async (_name, token) => {
		const { phone } = await register();
		const socket = await openSocket(phone);
		socket.send({ type: "hello", protocol: 1, token });
		expect((await socket.next("error")).code).toBe("unauthenticated");
		expect((await socket.closeEvent()).code).toBe(CLOSE_CODES.unauthenticated);
	});

	it("a wrong token and another phone's token close with 4001", async () => {
		const alice = await register();
		const bob = await register();
		const [digits, secret] = alice.token.split(".") as [string, string];
		for (const token of [`${digits}.${tamper(secret)}`, bob.token]) {
			const socket = await openSocket(alice.phone);
			socket.send({ type: "hello", protocol: 1, token });
			expect((await socket.next("error")).code).toBe("unauthenticated");
			expect((await socket.closeEvent()).code).toBe(CLOSE_CODES.unauthenticated);
		}
	});

	it("a revoked token closes with 4001", async () => {
		const { phone, token } = await register();
		expect((await call("/v1/session", { method: "DELETE", token })).status).toBe(204);
		const socket = await openSocket(phone);
		socket.send({ type: "hello", protocol: 1, token });
		expect((await socket.next("error")).code).toBe("unauthenticated");
		expect((await socket.closeEvent()).code).toBe(CLOSE_CODES.unauthenticated);
	});

	it("revocation closes the connected socket with 4004", async () => {
		const { phone, token } = await register();
		const { socket, ready } = await connect(phone, token);
		expect(ready.phone).toBe(phone);
		await socket.next("drained");
		expect((await call("/v1/session", { method: "DELETE", token })).status).toBe(204);
		expect((await socket.closeEvent()).code).toBe(CLOSE_CODES.revoked);
	});
});
