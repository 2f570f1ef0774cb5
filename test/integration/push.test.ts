// Web Push end to end (docs/PROTOCOL.md §Push notifications): the real relay in workerd, the shared
// relay client over real HTTP and WebSockets, and a local push service (test/support/push-endpoint.ts)
// that checks each push's VAPID token and decrypts its payload with its own RFC 8291 decoder.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RelayRequestError } from "../../protocol/client/client-errors.ts";
import { type ConnectionHandlers, RelayConnection } from "../../protocol/client/index.ts";
import { RelayHttpClient } from "../../protocol/client/relay-http.ts";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import type { MessageFrame } from "../../protocol/wire/index.ts";
import { NO_ANSWER, type PushEndpoint, startPushEndpoint } from "../support/push-endpoint.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { makeIdentity, makeOneTimePrekeys, makeSignedPrekey, randomBody } from "../support/test-identity.ts";

let relay: RunningRelay;
let http: RelayHttpClient;
let pushService: PushEndpoint;
let vapidPublicKey: string;

beforeAll(async () => {
	const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
	vapidPublicKey = encodeBase64Url(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
	const { d } = await crypto.subtle.exportKey("jwk", pair.privateKey);
	pushService = await startPushEndpoint({ vapidPublicKey });
	relay = await startRelay({
		vars: { VAPID_PUBLIC_KEY: vapidPublicKey, VAPID_SUBJECT: "mailto:relay-operator@example.org" },
		secrets: { VAPID_PRIVATE_KEY: d ?? "" },
	});
	http = new RelayHttpClient(relay.url);
});
afterAll(async () => {
	await relay?.close();
	await pushService?.close();
});

let phoneCounter = 300;

async function register() {
	phoneCounter += 1;
	const phone = `+1555555${String(phoneCounter).padStart(4, "0")}`;
	const requested = await http.requestCode(phone);
	const identity = await makeIdentity();
	const registered = await http.confirmCode(phone, requested.code ?? "", identity.publicKeys);
	await http.uploadPrekeys(registered.token, {
		signedPrekey: await makeSignedPrekey(identity, 1),
		oneTimePrekeys: await makeOneTimePrekeys(1, 1),
	});
	return { phone: registered.phone, token: registered.token };
}

/** A connection that acknowledges what it receives; resolves once the backlog has been handed over. */
async function connect(user: { phone: string; token: string }) {
	const messages: MessageFrame[] = [];
	let drained = false;
	const handlers: ConnectionHandlers = {
		message: (frame) => {
			messages.push(frame);
		},
		drained: () => {
			drained = true;
		},
	};
	const connection = new RelayConnection({ url: http.connectUrl(user.phone), token: user.token, handlers });
	connection.start();
	await until(() => drained, "the backlog");
	return { connection, messages };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Longer than the relay's coalescing delay (PUSH_DELAY_MS, 1 s) with room for a slow machine. */
const QUIET_MS = 2_500;

/** A recipient with a subscription and a sender connected to send to it. */
async function pair() {
	const sender = await register();
	const recipient = await register();
	const subscription = pushService.subscribe();
	await http.subscribePush(recipient.token, subscription);
	const senderConnection = await connect(sender);
	let next = 0;
	const send = async () => {
		next += 1;
		return senderConnection.connection.send(recipient.phone, `m${next}`, randomBody(64));
	};
	return { sender, recipient, subscription, send, stop: () => senderConnection.connection.stop() };
}

// Independent scenarios (own phones, own subscriptions) share the relay and run side by side: most of
// each is waiting out the coalescing delay and the retry backoff.
describe.concurrent("Web Push from the phone's object", () => {
	it("tells browsers whether push is on and which key to subscribe with", async () => {
		expect(await http.pushSettings()).toEqual({ enabled: true, vapidPublicKey });
	});

	it("sends one content-free push for a burst queued while the phone is offline, none while it is online", async () => {
		const { recipient, subscription, send, stop } = await pair();
		for (let i = 0; i < 3; i++) expect(await send()).toEqual({ ok: true, delivery: "queued" });

		const [push] = await pushService.waitFor(1, subscription.endpoint);
		expect(push?.problems).toEqual([]);
		expect(push?.status).toBe(201);
		// The payload (decrypted by the stand-in's own decoder) says only that something arrived.
		expect(push?.payload).toBe('{"type":"new_message"}');
		expect(push?.ttl).toBe("86400");
		expect(push?.topic).toBe("friendly-new-message");
		expect(push?.urgency).toBe("high");
		// Padded to a constant size: the body's length says nothing about what is waiting.
		expect(push?.bodyBytes).toBe(4096);
		await sleep(QUIET_MS);
		expect(pushService.received(subscription.endpoint)).toHaveLength(1);

		// More while still offline, soon after the push: the same burst, no second push.
		expect(await send()).toEqual({ ok: true, delivery: "queued" });
		await sleep(QUIET_MS);
		expect(pushService.received(subscription.endpoint)).toHaveLength(1);

		// Online: every message is there, and what arrives now goes over the socket, not as a push.
		const online = await connect(recipient);
		await until(() => online.messages.length === 4, "the four queued messages");
		expect(await send()).toEqual({ ok: true, delivery: "live" });
		await sleep(QUIET_MS);
		expect(pushService.received(subscription.endpoint)).toHaveLength(1);

		// Offline again after having been online: a new burst, a new push.
		online.connection.stop();
		await sleep(500);
		expect(await send()).toEqual({ ok: true, delivery: "queued" });
		await pushService.waitFor(2, subscription.endpoint);
		stop();
	});

	it("deletes a subscription the push service answers 404 or 410 for", async () => {
		for (const status of [404, 410]) {
			const { recipient, subscription, send, stop } = await pair();
			pushService.answer(subscription.endpoint, status);
			await send();
			const [gone] = await pushService.waitFor(1, subscription.endpoint);
			expect(gone?.status).toBe(status);
			// A new burst (the phone was online in between) would push again, if the subscription were kept.
			const online = await connect(recipient);
			online.connection.stop();
			await sleep(500);
			await send();
			await sleep(QUIET_MS);
			expect(pushService.received(subscription.endpoint)).toHaveLength(1);
			stop();
		}
	});

	it("retries 429 and 5xx with growing delays, gives up after four attempts, and loses no message", async () => {
		const { recipient, subscription, send, stop } = await pair();
		pushService.answer(subscription.endpoint, 500);
		await send();
		const attempts = await pushService.waitFor(4, subscription.endpoint, 20_000);
		expect(attempts.map((attempt) => attempt.status)).toEqual([500, 500, 500, 500]);
		const gaps = attempts.slice(1).map((attempt, i) => attempt.at - (attempts[i]?.at ?? 0));
		// 1 s, 2 s, 4 s by design; alarms may run late on a busy machine, never early.
		expect(gaps[0]).toBeGreaterThanOrEqual(900);
		expect(gaps[1]).toBeGreaterThanOrEqual(1_900);
		expect(gaps[2]).toBeGreaterThanOrEqual(3_900);
		await sleep(5_000);
		expect(pushService.received(subscription.endpoint)).toHaveLength(4);
		// The failing pushes delayed and lost nothing: the message waits in the mailbox.
		const online = await connect(recipient);
		await until(() => online.messages.length === 1, "the queued message");
		online.connection.stop();

		// 429 then success: one retry, then sent.
		pushService.answer(subscription.endpoint, 429, 201);
		await sleep(500);
		await send();
		const retried = await pushService.waitFor(6, subscription.endpoint);
		expect(retried.slice(4).map((attempt) => attempt.status)).toEqual([429, 201]);
		stop();
	}, 60_000);

	it("never lets a push service that does not answer hold up a message", async () => {
		const { recipient, subscription, send, stop } = await pair();
		pushService.answer(subscription.endpoint, NO_ANSWER);
		expect(await send()).toEqual({ ok: true, delivery: "queued" });
		// The push is in flight and will not be answered: the phone's object must not wait for it.
		await pushService.waitFor(1, subscription.endpoint);
		expect(await send()).toEqual({ ok: true, delivery: "queued" });
		const online = await connect(recipient);
		await until(() => online.messages.length === 2, "both queued messages", 5_000);
		expect(await send()).toEqual({ ok: true, delivery: "live" });
		online.connection.stop();
		stop();
	});

	it("stops pushing after unsubscribe, sign-out and re-registration", async () => {
		const { recipient, subscription, send, stop } = await pair();
		await http.unsubscribePush(recipient.token, subscription.endpoint);
		await send();
		await sleep(QUIET_MS);
		expect(pushService.received(subscription.endpoint)).toHaveLength(0);

		await http.subscribePush(recipient.token, subscription);
		await http.signOut(recipient.token);
		await send();
		await sleep(QUIET_MS);
		expect(pushService.received(subscription.endpoint)).toHaveLength(0);

		// Signed in again (as after a reinstall, or someone else with this number): the old browser's
		// subscription is gone.
		const requested = await http.requestCode(recipient.phone);
		const identity = await makeIdentity();
		await http.confirmCode(recipient.phone, requested.code ?? "", identity.publicKeys);
		await send();
		await sleep(QUIET_MS);
		expect(pushService.received(subscription.endpoint)).toHaveLength(0);
		stop();
	});

	it("refuses endpoints that would make the relay POST into private networks or to arbitrary hosts", async () => {
		const user = await register();
		const keys = pushService.subscribe().keys;
		for (const endpoint of [
			"http://push.example.com/x",
			"https://10.0.0.1/push",
			"https://169.254.169.254/latest/meta-data",
			"https://[::1]/push",
			"https://2130706433/push",
			"https://localhost/push",
			"https://metadata.google.internal/computeMetadata",
			"https://printer.local/push",
			"https://intranet/push",
			"https://user:password@fcm.googleapis.com/fcm/send/x",
			"https://fcm.googleapis.com:8443/fcm/send/x",
			"http://127.0.0.2:8080/push",
			`https://fcm.googleapis.com/${"a".repeat(1100)}`,
		]) {
			const refused = await http.subscribePush(user.token, { endpoint, keys }).catch((error) => error);
			expect(refused, endpoint).toBeInstanceOf(RelayRequestError);
			expect((refused as RelayRequestError).code, endpoint).toBe("bad_request");
		}
		const unauthenticated = await http
			.subscribePush(`${user.token.slice(0, -2)}xx`, pushService.subscribe())
			.catch((error) => error);
		expect((unauthenticated as RelayRequestError).code).toBe("unauthenticated");
	});
});
