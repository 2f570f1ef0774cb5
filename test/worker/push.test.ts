// Web Push inside workerd: the VAPID settings (worker/push/push-config.ts), the endpoint policy
// against SSRF (endpoint-policy.ts), the /v1/push routes on the real Worker, and what the phone's
// object stores and schedules (push-subscriptions.ts, push-notifier.ts). Sending to a push service,
// with its VAPID token and encrypted payload checked, is test/integration/push.test.ts.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { MAX_PUSH_SUBSCRIPTIONS, PushSettingsResponse } from "../../protocol/wire/index.ts";
import { createRelayApp } from "../../worker/app.ts";
import { parseRelayConfig } from "../../worker/config/relay-config.ts";
import { checkPushEndpoint } from "../../worker/push/endpoint-policy.ts";
import type { PushConfig } from "../../worker/push/push-config.ts";
import { MAX_ATTEMPTS, PUSH_DELAY_MS, retryDelayMs } from "../../worker/push/push-notifier.ts";
import { call, expectError, expectOk, RELAY } from "./helpers/http.ts";
import { newDhPublicKey } from "./helpers/keys.ts";
import { type Registered, register, reRegister, stubOf } from "./helpers/register.ts";
import { connectDrained, messageId, randomBody } from "./helpers/socket.ts";

const VAPID = {
	VAPID_PUBLIC_KEY: "BPebP7OUMMqETzPaAW0yI-bXpKhmJoMO9a9q1No_hp6DDDVYgrmyu1661THpUhU5dTYWldNg3CR-mFxQLzO2p6Q",
	VAPID_PRIVATE_KEY: "jnpVwZMP2mxGvT3hOe6i_Ep6OmJ8eKyJYgyiSAYq87M",
	VAPID_SUBJECT: "mailto:relay-tests@example.org",
};
const PRODUCTION = {
	ENVIRONMENT: "production",
	CODE_DELIVERY: "webhook",
	WEBHOOK_URL: "https://sms.example.org/hook",
	WEBHOOK_SECRET: "s".repeat(16),
	CODE_HASH_KEY: "k".repeat(32),
};

function problemsOf(raw: Record<string, unknown>): string {
	const result = parseRelayConfig(raw);
	return result.ok ? "" : result.problems.join("; ");
}

function pushOf(raw: Record<string, unknown>): PushConfig | null {
	const result = parseRelayConfig(raw);
	if (!result.ok) throw new Error(`config refused: ${result.problems.join("; ")}`);
	return result.config.push;
}

/** example.net (RFC 2606): the one test whose push falls due connects before the alarm would send it. */
async function subscription(endpoint = `https://push.example.net/send/${messageId()}`) {
	const auth = new Uint8Array(16);
	crypto.getRandomValues(auth);
	return { endpoint, keys: { p256dh: encodeBase64Url(await newDhPublicKey()), auth: encodeBase64Url(auth) } };
}

function storedEndpoints(phone: string) {
	return runInDurableObject(stubOf(phone), (_instance, state) =>
		state.storage.sql
			.exec<{ endpoint: string; due_at: number | null }>(
				"SELECT endpoint, due_at FROM push_subscriptions ORDER BY updated_at, endpoint",
			)
			.toArray()
			.map((row) => ({ ...row })),
	);
}

function put(who: Registered, body: unknown) {
	return call("/v1/push", { method: "PUT", token: who.token, body });
}

describe("VAPID settings", () => {
	it("leave push off when all three are unset, in development and production", () => {
		expect(pushOf({})).toBeNull();
		expect(pushOf(PRODUCTION)).toBeNull();
		// The allowlist alone does not turn push on.
		expect(pushOf({ ...PRODUCTION, PUSH_HOSTS: "fcm.googleapis.com" })).toBeNull();
	});

	it("turn push on when complete and well formed", () => {
		expect(pushOf({ ...PRODUCTION, ...VAPID, PUSH_HOSTS: " FCM.googleapis.com, push.apple.com ," })).toEqual({
			vapidPublicKey: VAPID.VAPID_PUBLIC_KEY,
			vapidPrivateKey: VAPID.VAPID_PRIVATE_KEY,
			vapidSubject: VAPID.VAPID_SUBJECT,
			pushHosts: ["fcm.googleapis.com", "push.apple.com"],
		});
		expect(pushOf({ ...VAPID, VAPID_SUBJECT: "https://relay.example.org/contact" })?.vapidSubject).toBe(
			"https://relay.example.org/contact",
		);
	});

	it("refuse to serve with a missing or malformed setting rather than fail at send time", () => {
		for (const env of [PRODUCTION, {}]) {
			expect(problemsOf({ ...env, ...VAPID, VAPID_PRIVATE_KEY: "" })).toContain("VAPID_PRIVATE_KEY");
			expect(problemsOf({ ...env, ...VAPID, VAPID_PUBLIC_KEY: "" })).toContain("VAPID_PUBLIC_KEY");
			expect(problemsOf({ ...env, ...VAPID, VAPID_SUBJECT: "" })).toContain("VAPID_SUBJECT");
			// The private key in the public key's place: 32 bytes, not a 65-byte point.
			expect(problemsOf({ ...env, ...VAPID, VAPID_PUBLIC_KEY: VAPID.VAPID_PRIVATE_KEY })).toContain(
				"VAPID_PUBLIC_KEY",
			);
			expect(problemsOf({ ...env, ...VAPID, VAPID_PRIVATE_KEY: `${VAPID.VAPID_PRIVATE_KEY}==` })).toContain(
				"VAPID_PRIVATE_KEY",
			);
			expect(problemsOf({ ...env, ...VAPID, VAPID_SUBJECT: "http://relay.example.org" })).toContain(
				"VAPID_SUBJECT",
			);
			expect(problemsOf({ ...env, ...VAPID, VAPID_SUBJECT: "operator@example.org" })).toContain(
				"VAPID_SUBJECT",
			);
			expect(problemsOf({ ...env, ...VAPID, PUSH_HOSTS: "https://fcm.googleapis.com" })).toContain(
				"PUSH_HOSTS",
			);
		}
	});
});

describe("push endpoint policy", () => {
	const push: PushConfig = {
		vapidPublicKey: VAPID.VAPID_PUBLIC_KEY,
		vapidPrivateKey: VAPID.VAPID_PRIVATE_KEY,
		vapidSubject: VAPID.VAPID_SUBJECT,
		pushHosts: [],
	};
	const allowed = (
		endpoint: string,
		config = push,
		environment: "development" | "production" = "production",
	) => checkPushEndpoint(endpoint, config, environment).ok;

	it("accepts the push services browsers use", () => {
		for (const endpoint of [
			"https://fcm.googleapis.com/fcm/send/abc:def",
			"https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
			"https://web.push.apple.com/QGuQyavXutnMH",
			"https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
		])
			expect(allowed(endpoint), endpoint).toBe(true);
	});

	it("refuses IP literals in every spelling, private names, other schemes, ports and credentials", () => {
		for (const endpoint of [
			"http://fcm.googleapis.com/fcm/send/x",
			"ftp://fcm.googleapis.com/x",
			"https://10.1.2.3/x",
			"https://192.168.0.1/x",
			"https://169.254.169.254/latest/meta-data/",
			"https://0x7f.0.0.1/x",
			"https://017700000001/x",
			"https://2130706433/x",
			"https://[::1]/x",
			"https://[::ffff:10.0.0.1]/x",
			"https://localhost/x",
			"https://push.localhost/x",
			"https://metadata.google.internal/x",
			"https://nas.home.arpa/x",
			"https://printer.local/x",
			"https://router.lan/x",
			"https://intranet/x",
			"https://fcm.googleapis.com:8443/x",
			"https://user:pass@fcm.googleapis.com/x",
			"https://fcm.googleapis.com/x#fragment",
			// Plain http to the loopback only outside production.
			"http://127.0.0.1:8080/push/x",
		])
			expect(allowed(endpoint), endpoint).toBe(false);
		expect(allowed("http://127.0.0.1:8080/push/x", push, "development")).toBe(true);
		expect(allowed("http://127.0.0.2:8080/push/x", push, "development")).toBe(false);
		expect(allowed("https://127.0.0.1/push/x", push, "development")).toBe(false);
	});

	it("holds endpoints to the operator's allowlist, hosts and their subdomains only", () => {
		const listed = { ...push, pushHosts: ["googleapis.com", "push.apple.com"] };
		expect(allowed("https://fcm.googleapis.com/x", listed)).toBe(true);
		expect(allowed("https://googleapis.com/x", listed)).toBe(true);
		expect(allowed("https://web.push.apple.com/x", listed)).toBe(true);
		expect(allowed("https://updates.push.services.mozilla.com/x", listed)).toBe(false);
		expect(allowed("https://evilgoogleapis.com/x", listed)).toBe(false);
		expect(allowed("https://googleapis.com.evil.example/x", listed)).toBe(false);
	});
});

describe("/v1/push on the Worker", () => {
	it("GET says push is on and hands out the VAPID public key, without a token", async () => {
		expect(await expectOk(await call("/v1/push"), PushSettingsResponse)).toEqual({
			enabled: true,
			vapidPublicKey: env.VAPID_PUBLIC_KEY,
		});
	});

	it("with push unconfigured, GET says so; half configured, the relay refuses to serve", async () => {
		const app = createRelayApp();
		const get = (bindings: object) => app.fetch(new Request(`${RELAY}/v1/push`), bindings);
		const off = { ...env, VAPID_PUBLIC_KEY: "", VAPID_PRIVATE_KEY: "", VAPID_SUBJECT: "" };
		expect(await expectOk(await get(off), PushSettingsResponse)).toEqual({
			enabled: false,
			vapidPublicKey: null,
		});
		const half = { ...env, VAPID_PRIVATE_KEY: "" };
		const error = await expectError(await get(half), "server_misconfigured", 503);
		expect(error.message).not.toContain("VAPID");
	});

	it("PUT stores a subscription once (a repeat refreshes it), DELETE removes it", async () => {
		const bob = await register();
		const first = await subscription();
		expect((await put(bob, first)).status).toBe(204);
		expect((await put(bob, first)).status).toBe(204);
		expect(await storedEndpoints(bob.phone)).toEqual([{ endpoint: first.endpoint, due_at: null }]);
		const gone = await call("/v1/push", {
			method: "DELETE",
			token: bob.token,
			body: { endpoint: first.endpoint },
		});
		expect(gone.status).toBe(204);
		expect(await storedEndpoints(bob.phone)).toEqual([]);
		// Removing what is not there is not an error: the outcome is the same.
		const again = await call("/v1/push", {
			method: "DELETE",
			token: bob.token,
			body: { endpoint: first.endpoint },
		});
		expect(again.status).toBe(204);
	});

	it(`keeps at most ${MAX_PUSH_SUBSCRIPTIONS} per phone, replacing the least recently saved`, async () => {
		const bob = await register();
		const endpoints: string[] = [];
		for (let i = 0; i <= MAX_PUSH_SUBSCRIPTIONS; i++) {
			const next = await subscription();
			endpoints.push(next.endpoint);
			expect((await put(bob, next)).status).toBe(204);
			await new Promise((resolve) => setTimeout(resolve, 2));
		}
		const kept = (await storedEndpoints(bob.phone)).map((row) => row.endpoint);
		expect(kept).toHaveLength(MAX_PUSH_SUBSCRIPTIONS);
		expect(kept).not.toContain(endpoints[0]);
		expect(kept).toEqual(expect.arrayContaining(endpoints.slice(1)));
	});

	it("needs the phone's live token", async () => {
		const bob = await register();
		const body = await subscription();
		await expectError(await call("/v1/push", { method: "PUT", body }), "unauthenticated", 401);
		await expectError(
			await put({ ...bob, token: `${bob.token.slice(0, -3)}abc` }, body),
			"unauthenticated",
			401,
		);
		await expectError(
			await call("/v1/push", { method: "DELETE", body: { endpoint: body.endpoint } }),
			"unauthenticated",
			401,
		);
	});

	it("refuses malformed bodies and unsafe endpoints with bad_request", async () => {
		const bob = await register();
		const good = await subscription();
		const refusals: unknown[] = [
			{ ...good, extra: true },
			{ ...good, expirationTime: null },
			{ endpoint: good.endpoint },
			{ ...good, keys: { ...good.keys, auth: `${good.keys.auth}AA` } },
			{ ...good, keys: { ...good.keys, p256dh: good.keys.auth } },
			{ ...good, endpoint: "not a url" },
			{ ...good, endpoint: `https://fcm.googleapis.com/${"a".repeat(1024)}` },
			{ ...good, endpoint: "https://169.254.169.254/latest/meta-data/" },
			{ ...good, endpoint: "https://metadata.google.internal/computeMetadata/v1/" },
		];
		for (const body of refusals) {
			const error = await expectError(await put(bob, body), "bad_request", 400);
			expect(error.message).toMatch(/^(Request body rejected|Push subscription refused)/);
		}
		await expectError(
			await call("/v1/push", { method: "PUT", token: bob.token, rawBody: "{" }),
			"bad_request",
			400,
		);
		expect(await storedEndpoints(bob.phone)).toEqual([]);
	});

	it("sign-out and registering again remove every subscription", async () => {
		const bob = await register();
		await put(bob, await subscription());
		await put(bob, await subscription());
		expect(await storedEndpoints(bob.phone)).toHaveLength(2);
		expect((await call("/v1/session", { method: "DELETE", token: bob.token })).status).toBe(204);
		expect(await storedEndpoints(bob.phone)).toEqual([]);

		const again = await reRegister(bob.phone);
		await put(again, await subscription());
		expect(await storedEndpoints(bob.phone)).toHaveLength(1);
		await reRegister(bob.phone);
		expect(await storedEndpoints(bob.phone)).toEqual([]);
	});
});

describe("pushes owed by the phone's object", () => {
	async function sendTo(sender: Registered, recipient: Registered) {
		const { socket } = await connectDrained(sender.phone, sender.token);
		socket.send({ type: "send", id: messageId(), to: recipient.phone, body: randomBody() });
		const sent = await socket.next("sent", ["receipt"]);
		socket.close();
		return sent.delivery;
	}

	function alarmOf(phone: string) {
		return runInDurableObject(stubOf(phone), (_instance, state) => state.storage.getAlarm());
	}

	it("owes a push, and sets the alarm for it, only when the message is queued for an offline phone", async () => {
		const alice = await register();
		const bob = await register();
		const endpoint = (await subscription()).endpoint;
		await put(bob, { ...(await subscription()), endpoint });

		// Online: delivered live, nothing owed.
		const { socket } = await connectDrained(bob.phone, bob.token);
		expect(await sendTo(alice, bob)).toBe("live");
		expect(await storedEndpoints(bob.phone)).toEqual([{ endpoint, due_at: null }]);
		socket.close();
		await socket.closeEvent();

		const before = Date.now();
		expect(await sendTo(alice, bob)).toBe("queued");
		const [owed] = await storedEndpoints(bob.phone);
		expect(owed?.due_at).toBeGreaterThanOrEqual(before + PUSH_DELAY_MS);
		expect(owed?.due_at).toBeLessThanOrEqual(Date.now() + PUSH_DELAY_MS);
		// The object's one alarm comes back for it (not an hour later for expiry).
		await expect.poll(() => alarmOf(bob.phone), { timeout: 2_000 }).toBe(owed?.due_at);

		// The rest of the burst rides on the same push.
		expect(await sendTo(alice, bob)).toBe("queued");
		expect((await storedEndpoints(bob.phone))[0]?.due_at).toBe(owed?.due_at);

		// Connecting clears it: the phone is reading its messages.
		const back = await connectDrained(bob.phone, bob.token);
		// All three wait (the live one was never acknowledged): no push changed the mailbox.
		expect(back.backlog).toHaveLength(3);
		expect(await storedEndpoints(bob.phone)).toEqual([{ endpoint, due_at: null }]);
		back.socket.close();
	});

	it("sets the alarm for the push on an object that has not read its alarm yet (the expiry must not win)", async () => {
		const alice = await register();
		const bob = await register();
		await put(bob, await subscription());
		// Bob's object has never connected a socket, so its alarm schedule is still unread: the delivery
		// asks for the push's time and the hourly expiry in the same event.
		expect(await sendTo(alice, bob)).toBe("queued");
		const [owed] = await storedEndpoints(bob.phone);
		expect(owed?.due_at).not.toBeNull();
		await expect.poll(() => alarmOf(bob.phone), { timeout: 2_000 }).toBe(owed?.due_at);
		// Connect before the push falls due: nothing leaves the test.
		(await connectDrained(bob.phone, bob.token)).socket.close();
	});

	it("retries with doubling delays, capped, never sooner than a Retry-After up to the cap", () => {
		expect([1, 2, 3].map((failed) => retryDelayMs(failed, null))).toEqual([1_000, 2_000, 4_000]);
		expect(retryDelayMs(1, 30_000)).toBe(30_000);
		expect(retryDelayMs(1, 3_600_000)).toBe(60_000);
		expect(retryDelayMs(20, null)).toBe(60_000);
		expect(MAX_ATTEMPTS).toBe(4);
	});
});
