// Web Push in real Chromium against the real relay (docs/WEB.md §Notifications). Headless Chromium has
// no push service to subscribe with, so the page's PushManager hands out a subscription of the local
// push service (test/support/push-endpoint.ts) instead; everything else is real: the permission (granted
// to the context), the service worker and its registration, the relay storing the subscription and
// sending an encrypted, VAPID-signed push when the app is closed, and the push reaching the service
// worker through the DevTools protocol (ServiceWorker.deliverPushMessage) with the payload the local
// push service decrypted. Screenshots of the settings and the prompt go to test-results/screenshots/.
import type { Browser, CDPSession, Page, Worker } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RelayHttpClient } from "../../protocol/client/relay-http.ts";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import type { PushSubscriptionBody } from "../../protocol/wire/index.ts";
import { type PushEndpoint, startPushEndpoint } from "../support/push-endpoint.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { makeIdentity } from "../support/test-identity.ts";
import { expectAccessible } from "./support/axe.ts";
import { fileBrowser } from "./support/chromium.ts";
import { screenshot, screenshotBoth } from "./support/screenshots.ts";
import { WebUser } from "./support/web-user.ts";

const WAIT = { timeout: 20_000 };
const ALICE = "+15555550901";
const BOB = "+15555550902";
/** Longer than the relay's coalescing delay (1 s), with room for a busy machine. */
const QUIET_MS = 2_500;

let relay: RunningRelay;
/** The same relay with no VAPID settings: push is off. */
let plainRelay: RunningRelay;
let browser: Browser;
let pushService: PushEndpoint;
let alice: WebUser;
let bob: WebUser;
let subscription: PushSubscriptionBody;

/**
 * Runs in Alice's pages before the app: a PushManager whose subscribe() hands out the local push
 * service's subscription (the browser-side keys stay with the stand-in, which decrypts the pushes).
 */
function fakePushManager(fake: { endpoint: string; p256dh: string; auth: string }) {
	const bytes = (text: string) => {
		const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
		return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
	};
	const make = (applicationServerKey: string) => ({
		endpoint: fake.endpoint,
		expirationTime: null,
		options: { userVisibleOnly: true, applicationServerKey: bytes(applicationServerKey) },
		getKey: (name: string) => bytes(name === "p256dh" ? fake.p256dh : fake.auth),
		unsubscribe: async () => {
			localStorage.removeItem("test-push-subscribed");
			localStorage.setItem("test-push-unsubscribed", "1");
			return true;
		},
	});
	const encode = (key: BufferSource) => {
		const view = key instanceof ArrayBuffer ? new Uint8Array(key) : new Uint8Array(key.buffer);
		return btoa(String.fromCharCode(...view))
			.replace(/\+/g, "-")
			.replace(/\//g, "_")
			.replace(/=+$/, "");
	};
	PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
		const key = options?.applicationServerKey;
		if (!key || typeof key === "string") throw new Error("expected the key as bytes");
		localStorage.setItem("test-push-subscribed", encode(key));
		return make(encode(key)) as unknown as PushSubscription;
	};
	PushManager.prototype.getSubscription = async () => {
		const key = localStorage.getItem("test-push-subscribed");
		return key ? (make(key) as unknown as PushSubscription) : null;
	};
}

beforeAll(async () => {
	const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
	const vapidPublicKey = encodeBase64Url(
		new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
	);
	const { d } = await crypto.subtle.exportKey("jwk", pair.privateKey);
	pushService = await startPushEndpoint({ vapidPublicKey });
	[relay, plainRelay, browser] = await Promise.all([
		startRelay({
			vars: { VAPID_PUBLIC_KEY: vapidPublicKey, VAPID_SUBJECT: "mailto:relay-operator@example.org" },
			secrets: { VAPID_PRIVATE_KEY: d ?? "" },
		}),
		startRelay(),
		fileBrowser(),
	]);
	[alice, bob] = await Promise.all([
		WebUser.open(browser, relay.url, "desktop"),
		WebUser.open(browser, relay.url, "phone"),
	]);
	subscription = pushService.subscribe();
	await alice.context.grantPermissions(["notifications"], { origin: relay.url });
	await alice.context.addInitScript(fakePushManager, {
		endpoint: subscription.endpoint,
		p256dh: subscription.keys.p256dh,
		auth: subscription.keys.auth,
	});
	await alice.reload();
}, 120_000);
afterEach(async (context) => {
	if (context.task.result?.state !== "fail") return;
	const name = context.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
	await screenshot(alice.page, `failure-push-${name}-alice`).catch(() => undefined);
	console.log("alice page errors:", alice.pageErrors, "bob page errors:", bob.pageErrors);
});
afterAll(async () => {
	await browser?.close();
	await relay?.close();
	await plainRelay?.close();
	await pushService?.close();
});

const prompt = () => alice.page.getByRole("complementary", { name: "Know when a message arrives?" });
const notificationsSwitch = () =>
	alice.page.getByRole("switch", { name: "Notify me of new messages while FriendLy is closed" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A same-origin page that is not the app (it does not connect): the DevTools session and probes run here. */
let probe: Page;
let devtools: CDPSession;
let registrationId = "";

async function shownNotifications(): Promise<{ title: string; body: string; tag: string }[]> {
	return probe.evaluate(async () => {
		const registration = await navigator.serviceWorker.getRegistration("/");
		const shown = (await registration?.getNotifications()) ?? [];
		return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
	});
}

async function serviceWorker(): Promise<Worker> {
	return alice.context.serviceWorkers()[0] ?? (await alice.context.waitForEvent("serviceworker"));
}

describe("Web Push notifications", () => {
	it("are never offered on first load; the prompt comes after the first chat", async () => {
		await Promise.all([alice.register(ALICE), bob.register(BOB)]);
		await alice.page.getByRole("heading", { name: "Chats" }).waitFor();
		await sleep(500);
		expect(await prompt().count()).toBe(0);

		await alice.page.getByRole("link", { name: "Settings" }).click();
		await notificationsSwitch().waitFor();
		expect(await notificationsSwitch().isChecked()).toBe(false);
		await expectAccessible(alice.page, "settings: notifications off");
		await screenshotBoth(alice.page, "settings-notifications-off");

		await bob.startChat(ALICE);
		await bob.send("first words");
		await alice.page.goto(`${relay.url}/#/`);
		await alice.page.locator(`.conversation-item[data-phone="${BOB}"]`).waitFor();
		await prompt().waitFor();
		await expectAccessible(alice.page, "notifications prompt");
		await screenshotBoth(alice.page, "notifications-prompt");
	});

	it("turn on from the prompt: the service worker registers and the relay stores the subscription", async () => {
		await prompt().getByRole("button", { name: "Turn on notifications" }).click();
		await prompt().waitFor({ state: "detached" });
		const scriptUrl = await alice.page.evaluate(
			async () => (await navigator.serviceWorker.getRegistration("/"))?.active?.scriptURL ?? null,
		);
		expect(scriptUrl).toBe(`${relay.url}/sw.js`);
		await alice.page.getByRole("link", { name: "Settings" }).click();
		await expect.poll(() => notificationsSwitch().isChecked(), WAIT).toBe(true);
		await expectAccessible(alice.page, "settings: notifications on");
		await screenshotBoth(alice.page, "settings-notifications-on");
		// The service worker loaded under the page's CSP (worker-src 'self'), served by the Worker.
		expect(await alice.cspViolations()).toEqual([]);
		const page = await fetch(`${relay.url}/`);
		expect(page.headers.get("content-security-policy")).toContain("worker-src 'self'");
		const script = await fetch(`${relay.url}/sw.js`);
		expect(script.status).toBe(200);
		expect(script.headers.get("content-type")).toMatch(/javascript/);
		expect(alice.pageErrors).toEqual([]);
	});

	it("a burst for the closed app is one encrypted, content-free push and one notification", async () => {
		await alice.closeTab();
		probe = await alice.context.newPage();
		await probe.goto(`${relay.url}/favicon.svg`);
		devtools = await alice.context.newCDPSession(probe);
		const registered = new Promise<string>((resolve) => {
			devtools.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
				const ours = registrations.find((r) => r.scopeURL === `${relay.url}/` && !r.isDeleted);
				if (ours) resolve(ours.registrationId);
			});
		});
		await devtools.send("ServiceWorker.enable");
		registrationId = await registered;

		await bob.send("secret words 42");
		await bob.send("more secret words");
		const [push] = await pushService.waitFor(1, subscription.endpoint, 15_000);
		await sleep(QUIET_MS);
		expect(pushService.received(subscription.endpoint)).toHaveLength(1);
		expect(push?.problems).toEqual([]);
		expect(push?.payload).toBe('{"type":"new_message"}');

		// The push service hands the push to the browser: twice, as a second burst would.
		for (let i = 0; i < 2; i++) {
			await devtools.send("ServiceWorker.deliverPushMessage", {
				origin: relay.url,
				registrationId,
				data: push?.payload ?? "",
			});
		}
		await expect.poll(shownNotifications, WAIT).toHaveLength(1);
		const [shown] = await shownNotifications();
		expect(shown).toEqual({ title: "New message in FriendLy", body: "", tag: "friendly-new-message" });
		const text = JSON.stringify(shown);
		for (const secret of ["secret", "words", BOB.slice(2), ALICE.slice(2), "555"])
			expect(text).not.toContain(secret);
	});

	it("a click brings the open FriendLy tab forward, or opens the chat list; the app then decrypts as usual", async () => {
		// Headless Chromium cannot click a notification, and a synthetic click may not open or focus
		// windows: the service worker's choice of where the click leads is checked in the worker itself.
		const worker = await serviceWorker();
		const tabUrl = () =>
			worker.evaluate(async () => {
				const appTab: () => Promise<{ url: string } | null> = Reflect.get(globalThis, "appTab");
				return (await appTab())?.url ?? null;
			});
		expect(await tabUrl()).toBeNull();
		await alice.reopenTab("#/");
		await expect.poll(tabUrl, WAIT).toBe(`${relay.url}/#/`);
		await alice.openChat(BOB);
		await alice.incoming("secret words 42").waitFor();
		await alice.incoming("more secret words").waitFor();
	});

	it("turn off: the subscription leaves the relay and the browser, and no more pushes come", async () => {
		await alice.page.goto(`${relay.url}/#/settings`);
		await expect.poll(() => notificationsSwitch().isChecked(), WAIT).toBe(true);
		await notificationsSwitch().click();
		await expect.poll(() => notificationsSwitch().isChecked(), WAIT).toBe(false);
		expect(await alice.page.evaluate(() => localStorage.getItem("test-push-unsubscribed"))).toBe("1");
		await alice.closeTab();
		await bob.send("after opting out");
		await sleep(QUIET_MS);
		expect(pushService.received(subscription.endpoint)).toHaveLength(1);
	});

	it("signed out (the number registered again elsewhere): the relay drops the subscription, and so does the browser", async () => {
		await alice.reopenTab("#/settings");
		await notificationsSwitch().click();
		await expect.poll(() => notificationsSwitch().isChecked(), WAIT).toBe(true);
		await alice.page.evaluate(() => localStorage.removeItem("test-push-unsubscribed"));
		// The relay holds the subscription again: a message for the closed app pushes.
		await alice.closeTab();
		await bob.send("while closed again");
		await pushService.waitFor(2, subscription.endpoint, 15_000);
		await alice.reopenTab("#/");
		await alice.expectOnline();

		const elsewhere = new RelayHttpClient(relay.url);
		const requested = await elsewhere.requestCode(ALICE);
		await elsewhere.confirmCode(ALICE, requested.code ?? "", (await makeIdentity()).publicKeys);
		await alice.page.getByRole("button", { name: "Register again" }).click();
		await alice.page.getByLabel("Phone number").waitFor();
		await expect
			.poll(() => alice.page.evaluate(() => localStorage.getItem("test-push-unsubscribed")), WAIT)
			.toBe("1");
		// Nothing reaches this browser for the number's new holder.
		await alice.closeTab();
		await bob.send("for the new holder");
		await sleep(QUIET_MS);
		expect(pushService.received(subscription.endpoint)).toHaveLength(2);
	});
});

describe("a relay without push", () => {
	it("has no switch: Settings says the relay sends no notifications", async () => {
		const carol = await WebUser.open(browser, plainRelay.url, "desktop");
		try {
			await carol.register("+15555550911");
			await carol.page.getByRole("link", { name: "Settings" }).click();
			await carol.page.getByText("This FriendLy relay does not send notifications.").waitFor();
			expect(await carol.page.getByRole("switch").count()).toBe(0);
			await expectAccessible(carol.page, "settings: relay without push");
			await screenshotBoth(carol.page, "settings-notifications-unavailable");
		} finally {
			await carol.close();
		}
	});
});
