// Deleting an account inside workerd (worker/routes/account.ts, worker/phone/account-erasure.ts):
// DELETE /v1/account through the real Worker removes the registration, tokens, keys, prekeys (EC and
// KEM), mailbox, outbox, push subscriptions and the phone's files in R2, closes the socket; afterwards a send to the number is
// unknown_recipient and the number registers again as new. End to end from Node:
// test/integration/account-deletion.test.ts.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { CLOSE_CODES, PrekeyStatus } from "../../protocol/wire/index.ts";
import { ACCOUNT_TABLES, KEPT_TABLES } from "../../worker/phone/account-erasure.ts";
import { call, expectError, expectOk, RELAY } from "./helpers/http.ts";
import { newDhPublicKey, newKemPrekeys, newOneTimePrekeys, newSignedPrekeyWithKem } from "./helpers/keys.ts";
import { type Registered, register, reRegister, stubOf } from "./helpers/register.ts";
import { connectDrained, messageId, online, randomBody, type TestSocket } from "./helpers/socket.ts";

function deleteAccount(who: { phone: string; token: string }, phone = who.phone) {
	return call("/v1/account", { method: "DELETE", token: who.token, body: { phone } });
}

async function send(socket: TestSocket, to: string, id = messageId()) {
	socket.send({ type: "send", id, to, body: randomBody() });
	let frame = await socket.nextAny();
	while (frame.type === "receipt") frame = await socket.nextAny();
	return frame;
}

function rowCounts(phone: string): Promise<Record<string, number>> {
	return runInDurableObject(stubOf(phone), (_instance, state) => {
		const counts: Record<string, number> = {};
		for (const table of ACCOUNT_TABLES)
			counts[table] = state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
		return counts;
	});
}

async function registerWithEverything(): Promise<Registered> {
	const who = await register();
	await expectOk(
		await call("/v1/keys", {
			method: "PUT",
			token: who.token,
			body: {
				signedPrekey: await newSignedPrekeyWithKem(who.identity, 1),
				oneTimePrekeys: await newOneTimePrekeys(3),
				kemPrekeys: await newKemPrekeys(who.identity, 2),
			},
		}),
		PrekeyStatus,
	);
	const auth = new Uint8Array(16);
	crypto.getRandomValues(auth);
	const subscribed = await call("/v1/push", {
		method: "PUT",
		token: who.token,
		body: {
			endpoint: `https://push.example.net/send/${messageId()}`,
			keys: { p256dh: encodeBase64Url(await newDhPublicKey()), auth: encodeBase64Url(auth) },
		},
	});
	expect(subscribed.status).toBe(204);
	const headers = new Headers({ authorization: `Bearer ${who.token}`, "cf-connecting-ip": "203.0.113.9" });
	const uploaded = await exports.default.fetch(`${RELAY}/v1/attachments`, {
		method: "POST",
		headers,
		body: new Uint8Array(1000),
	});
	expect(uploaded.status).toBe(201);
	return who;
}

async function storedBlobs(): Promise<number> {
	return (await env.ATTACHMENTS.list({ prefix: "attachments/" })).objects.length;
}

describe("DELETE /v1/account", () => {
	it("every table of the phone's schema is either erased or deliberately kept", async () => {
		const who = await register();
		const tables = await runInDurableObject(stubOf(who.phone), (_instance, state) =>
			state.storage.sql
				.exec<{ name: string }>(
					"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
				)
				.toArray()
				.map((row) => row.name)
				.sort(),
		);
		expect(tables).toEqual([...ACCOUNT_TABLES, ...KEPT_TABLES].sort());
	});

	it("removes registration, tokens, prekeys, KEM prekeys, mailbox and push subscriptions and closes the socket", async () => {
		const bob = await registerWithEverything();
		const alice = await register();
		const a = await online(alice);
		// A message waits in Bob's mailbox while he is offline.
		expect(await send(a, bob.phone)).toMatchObject({ type: "sent", delivery: "queued" });
		const before = await rowCounts(bob.phone);
		for (const table of [
			"registration",
			"tokens",
			"signed_prekey",
			"one_time_prekeys",
			"kem_prekeys",
			"mailbox",
			"push_subscriptions",
			"attachments",
		])
			expect(before[table], table).toBeGreaterThan(0);
		const blobsBefore = await storedBlobs();
		const b = await online(bob);

		expect((await deleteAccount(bob)).status).toBe(204);

		expect(await b.closeEvent()).toEqual({ code: CLOSE_CODES.revoked, reason: "account deleted" });
		const after = await rowCounts(bob.phone);
		expect(
			Object.values(after).every((n) => n === 0),
			JSON.stringify(after),
		).toBe(true);
		// Bob's file went with his account: one blob fewer in R2.
		expect(await storedBlobs()).toBe(blobsBefore - 1);
		// The old token is dead on every route.
		await expectError(await call("/v1/keys", { token: bob.token }), "unauthenticated", 401);
		await expectError(await deleteAccount(bob), "unauthenticated", 401);
		// A contact's bundle fetch and send now find nobody.
		await expectError(
			await call(`/v1/keys/${encodeURIComponent(bob.phone)}`, { token: alice.token }),
			"not_registered",
			404,
		);
		expect(await send(a, bob.phone)).toMatchObject({
			type: "error",
			code: "unknown_recipient",
			to: bob.phone,
		});
		a.close();
	});

	it("the number registers again as new: no identity change, an empty mailbox, no old keys", async () => {
		const bob = await registerWithEverything();
		const alice = await register();
		const a = await online(alice);
		await send(a, bob.phone);
		expect((await deleteAccount(bob)).status).toBe(204);

		const again = await reRegister(bob.phone);
		expect(again.identityChanged).toBe(false);
		const status = await expectOk(await call("/v1/keys", { token: again.token }), PrekeyStatus);
		expect(status).toMatchObject({ oneTimePrekeys: 0, signedPrekeyId: null, kemPrekeyIds: [] });
		const { socket, ready } = await connectDrained(again.phone, again.token);
		expect(ready.pending).toBe(0);
		// Messages reach the new registration.
		expect(await send(a, bob.phone)).toMatchObject({ type: "sent", delivery: "live" });
		expect(await socket.next("message")).toMatchObject({ from: alice.phone });
		socket.close();
		a.close();
	});

	it("a body naming another phone, a missing body or no token deletes nothing", async () => {
		const bob = await register();
		const other = await register();
		await expectError(await deleteAccount(bob, other.phone), "bad_request", 400);
		await expectError(await call("/v1/account", { method: "DELETE", token: bob.token }), "bad_request", 400);
		await expectError(
			await call("/v1/account", { method: "DELETE", token: bob.token, body: { phone: bob.phone, extra: 1 } }),
			"bad_request",
			400,
		);
		await expectError(
			await call("/v1/account", { method: "DELETE", body: { phone: bob.phone } }),
			"unauthenticated",
			401,
		);
		// Both accounts still work.
		await expectOk(await call("/v1/keys", { token: bob.token }), PrekeyStatus);
		await expectOk(await call("/v1/keys", { token: other.token }), PrekeyStatus);
	});
});
