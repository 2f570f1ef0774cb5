// Two people, each in their own browser context (own IndexedDB, own keys), against the real relay:
// register with the echoed code, start a chat by phone number, chat both ways with live delivery
// states and unread counts, compare safety numbers, reload without losing anything, receive what
// arrived while offline, and see the key-change notice block sending until the new key is accepted.
// Screenshots of each main screen at phone and desktop widths go to test-results/screenshots/, and
// each screen is checked with axe-core (WCAG 2.1 AA) in light and dark at both widths.
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { expectAccessible } from "./support/axe.ts";
import { fileBrowser } from "./support/chromium.ts";
import { screenshot, screenshotBoth } from "./support/screenshots.ts";
import { WebUser } from "./support/web-user.ts";

/** Browser steps are slow compared with expect.poll's 1 s default. */
const WAIT = { timeout: 20_000 };

const ALICE = "+15555550101";
const BOB = "+15555550102";

let relay: RunningRelay;
let browser: Browser;
let alice: WebUser;
let bob: WebUser;

beforeAll(async () => {
	[relay, browser] = await Promise.all([startRelay(), fileBrowser()]);
	[alice, bob] = await Promise.all([
		WebUser.open(browser, relay.url, "desktop"),
		WebUser.open(browser, relay.url, "phone"),
	]);
});
afterEach(async (context) => {
	if (context.task.result?.state !== "fail") return;
	const name = context.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
	await screenshot(alice.page, `failure-${name}-alice`).catch(() => undefined);
	await screenshot(bob.page, `failure-${name}-bob`).catch(() => undefined);
	console.log("alice page errors:", alice.pageErrors, "bob page errors:", bob.pageErrors);
});
afterAll(async () => {
	await browser?.close();
	await relay?.close();
});

describe("two browsers", () => {
	it("registers both phones with the echoed code", async () => {
		await alice.page.getByLabel("Phone number").waitFor();
		await expectAccessible(alice.page, "registration: phone number");
		await screenshotBoth(alice.page, "register-number");
		await alice.page.getByLabel("Phone number").fill(ALICE);
		await alice.page.getByRole("button", { name: "Send code" }).click();
		await alice.page.getByLabel("Verification code").waitFor();
		await expectAccessible(alice.page, "registration: code");
		await screenshotBoth(alice.page, "register-code");
		await alice.page.getByLabel("Verification code").fill("000000");
		await alice.page.getByRole("button", { name: "Verify" }).click();
		await alice.page.getByRole("alert").filter({ hasText: "not right" }).waitFor();
		await expectAccessible(alice.page, "registration: wrong code");
		const code = (await alice.page.getByTestId("echo-code").textContent()) ?? "";
		await alice.page.getByLabel("Verification code").fill(code);
		await alice.page.getByRole("button", { name: "Verify" }).click();
		await alice.expectOnline();

		await bob.page.getByLabel("Phone number").fill("555 0102");
		await bob.page.getByRole("button", { name: "Send code" }).click();
		await bob.page.getByRole("alert").filter({ hasText: "country code" }).waitFor();
		await bob.page.getByLabel("Phone number").fill("+1 (555) 555-0102");
		await bob.page.getByRole("button", { name: "Send code" }).click();
		await bob.page.getByLabel("Verification code").waitFor();
		await bob.page
			.getByLabel("Verification code")
			.fill((await bob.page.getByTestId("echo-code").textContent()) ?? "");
		await bob.page.getByRole("button", { name: "Verify" }).click();
		await bob.expectOnline();
		await expect.poll(() => bob.page.locator(".me").textContent(), WAIT).toContain(BOB);
		await expectAccessible(bob.page, "conversation list, empty");
		await screenshotBoth(bob.page, "conversation-list-empty");
	});

	it("tells the user when a number is not on FriendLy", async () => {
		await alice.page.getByRole("link", { name: "New chat" }).click();
		await alice.page.getByLabel("Phone number").waitFor();
		await expectAccessible(alice.page, "new chat");
		await alice.page.getByLabel("Phone number").fill("+15555550199");
		await alice.page.getByRole("button", { name: "Start chat" }).click();
		await alice.page.getByRole("alert").filter({ hasText: "not on FriendLy" }).waitFor();
		await expectAccessible(alice.page, "new chat: not on FriendLy");
		await screenshotBoth(alice.page, "new-chat-error");
	});

	it("chats both ways, live, with delivery states and unread counts", async () => {
		await alice.page.getByLabel("Phone number").fill(BOB);
		await alice.page.getByRole("button", { name: "Start chat" }).click();
		await alice.page.getByLabel("Message", { exact: true }).waitFor();
		await alice.send("Hello Bob, this is Alice");
		await alice.expectStatus("Hello Bob, this is Alice", ["sent", "delivered"]);

		// Bob is on the list screen: the new conversation appears with one unread message.
		const item = bob.page.locator(`.conversation-item[data-phone="${ALICE}"]`);
		await expect.poll(() => item.getAttribute("data-unread"), WAIT).toBe("1");
		await expectAccessible(bob.page, "conversation list, one unread");
		await screenshotBoth(bob.page, "conversation-list-unread");
		await bob.openChat(ALICE);
		await bob.incoming("Hello Bob, this is Alice").waitFor();
		// Bob's browser stored it and acknowledged it: Alice sees "delivered".
		await alice.expectStatus("Hello Bob, this is Alice", ["delivered"]);
		await bob.send("Hi Alice! Bob here.");
		await alice.incoming("Hi Alice! Bob here.").waitFor();
		await bob.expectStatus("Hi Alice! Bob here.", ["delivered"]);
		await alice.send("Great, it works both ways.\nEven with two lines.");
		await bob.incoming("Even with two lines.").waitFor();
		await expect.poll(() => alice.page.locator(".message").count(), WAIT).toBe(3);
		await expectAccessible(alice.page, "conversation: sent and received");
		await screenshotBoth(alice.page, "conversation");
		await alice.page.emulateMedia({ colorScheme: "dark" });
		await screenshotBoth(alice.page, "conversation-dark");
		await alice.page.emulateMedia({ colorScheme: "light" });
		await bob.page.getByRole("link", { name: "Back to chats" }).click();
		await expect.poll(() => item.getAttribute("data-unread"), WAIT).toBe("0");
	});

	it("shows equal safety numbers on both sides, with a QR code, and marks as verified", async () => {
		const fromAlice = await alice.safetyDigits(BOB);
		const fromBob = await bob.safetyDigits(ALICE);
		expect(fromAlice).toMatch(/^[0-9]{60}$/);
		expect(fromAlice).toBe(fromBob);
		const qr = alice.page.getByRole("img", { name: "Safety number as a QR code" });
		expect(await qr.getAttribute("data-payload")).toBe(`FLSN1:${fromAlice}`);
		await expectAccessible(bob.page, "contact details, not verified");
		await screenshotBoth(bob.page, "contact-details");
		await alice.page.getByRole("button", { name: "Mark as verified" }).click();
		await alice.page.getByText("Verified: you compared this safety number.").waitFor();
		await expectAccessible(alice.page, "contact details, verified");
		await screenshotBoth(alice.page, "contact-details-verified");
		expect(await alice.cspViolations()).toEqual([]);
		await alice.page.goto(`${relay.url}/#/chat/${encodeURIComponent(BOB)}`);
		await alice.page.getByRole("heading", { name: `${BOB} Verified` }).waitFor();
		await expectAccessible(alice.page, "conversation with a verified contact");
	});

	it("keeps identity, contacts and history across a reload", async () => {
		await alice.page.goto(`${relay.url}/#/chat/${encodeURIComponent(BOB)}`);
		await alice.reload();
		await alice.expectOnline();
		await alice.incoming("Hi Alice! Bob here.").waitFor();
		await expect.poll(() => alice.page.locator(".message").count(), WAIT).toBe(3);
		await alice.page.locator(`.conversation-item[data-phone="${BOB}"]`).waitFor();
		await alice.expectStatus("Hello Bob, this is Alice", ["delivered"]);
		// The session survives too: new messages still decrypt on the other side.
		await alice.send("Still me after a reload");
		await bob.openChat(ALICE);
		await bob.incoming("Still me after a reload").waitFor();
		expect(await alice.safetyDigits(BOB)).toBe(await bob.safetyDigits(ALICE));
	});

	it("runs in one tab at a time and lets the user move it", async () => {
		const second = await alice.context.newPage();
		await second.goto(`${relay.url}/`);
		await second.getByRole("heading", { name: "FriendLy is open in another tab" }).waitFor();
		await expectAccessible(second, "open in another tab");
		await screenshotBoth(second, "other-tab");
		await second.getByRole("button", { name: "Use FriendLy in this tab" }).click();
		await second.locator('[data-state="online"]').waitFor();
		await alice.page.getByRole("heading", { name: "FriendLy moved to another tab" }).waitFor();
		await second.close();
		await alice.reload();
		await alice.expectOnline();
	});

	it("shows the connection dropping, reconnects with backoff, and receives what was missed", async () => {
		await bob.page.goto(`${relay.url}/#/`);
		await bob.goOffline();
		await bob.page.locator('[data-state="offline"]').waitFor();
		await bob.page.getByRole("alert").filter({ hasText: "You are offline" }).waitFor();
		await expectAccessible(bob.page, "offline banner");
		await screenshotBoth(bob.page, "offline");
		await alice.page.goto(`${relay.url}/#/chat/${encodeURIComponent(BOB)}`);
		await alice.send("Sent while your network was down");
		// The relay may still think Bob's half-open socket is alive ("sent"), or already know he is gone
		// ("queued"); either way it keeps the message until Bob's browser has stored it.
		await alice.expectStatus("Sent while your network was down", ["sent", "queued"]);
		await bob.goOnline();
		await bob.expectOnline();
		await bob.page.locator(`.conversation-item[data-phone="${ALICE}"][data-unread="1"]`).waitFor();
		await bob.openChat(ALICE);
		await bob.incoming("Sent while your network was down").waitFor();
		await alice.expectStatus("Sent while your network was down", ["delivered"]);
	});

	it("queues messages while the tab is closed and delivers them when it opens again", async () => {
		await bob.closeTab();
		await alice.send("Sent while your tab was closed");
		await alice.expectStatus("Sent while your tab was closed", ["queued"]);
		await expectAccessible(alice.page, "conversation: queued");
		await screenshotBoth(alice.page, "conversation-queued");
		await bob.reopenTab();
		await bob.expectOnline();
		await bob.page.locator(`.conversation-item[data-phone="${ALICE}"][data-unread="1"]`).waitFor();
		await bob.openChat(ALICE);
		await bob.incoming("Sent while your tab was closed").waitFor();
		await alice.expectStatus("Sent while your tab was closed", ["delivered"]);
	});

	it("shows a key-change notice that blocks sending until the new key is accepted", async () => {
		// Bob reinstalls: a fresh browser profile registers the same phone with new keys. The old
		// browser is signed out by the relay and offers to register again.
		await alice.page.goto(`${relay.url}/#/`);
		const oldBob = bob;
		bob = await WebUser.open(browser, relay.url, "phone");
		await bob.register(BOB);
		await oldBob.page.getByRole("button", { name: "Register again" }).waitFor();
		await expectAccessible(oldBob.page, "signed-out banner");
		await screenshotBoth(oldBob.page, "signed-out");
		await oldBob.page.getByRole("button", { name: "Register again" }).click();
		expect(await oldBob.page.getByLabel("Phone number").inputValue()).toBe(BOB);
		await oldBob.close();
		await bob.startChat(ALICE);
		await bob.send("New phone, same Bob");
		await bob.expectStatus("New phone, same Bob", ["sent", "queued", "delivered"]);

		// Alice is on the list: a notice tells her, the list flags the chat, the chat blocks sending.
		await alice.page
			.getByRole("alert")
			.filter({ hasText: `The safety number with ${BOB} changed` })
			.waitFor();
		await expectAccessible(alice.page, "key-change toast over the list");
		await screenshotBoth(alice.page, "key-change-notice-in-list");
		await alice.openChat(BOB);
		await alice.page.getByRole("heading", { name: "Safety number changed" }).waitFor();
		await alice.page
			.locator(`.conversation-item[data-phone="${BOB}"]`)
			.filter({ hasText: "Safety number changed" })
			.waitFor();
		expect(await alice.page.getByLabel("Message", { exact: true }).isDisabled()).toBe(true);
		await expect.poll(() => alice.incoming("New phone, same Bob").count(), WAIT).toBe(0);
		await screenshotBoth(alice.page, "key-change");

		await alice.page.getByRole("link", { name: "Compare safety number" }).click();
		const pending = alice.page.getByLabel("New safety number", { exact: true });
		await pending.waitFor();
		expect(await pending.getAttribute("data-digits")).toBe(await bob.safetyDigits(ALICE));
		await screenshotBoth(alice.page, "key-change-compare");

		await alice.page.goto(`${relay.url}/#/chat/${encodeURIComponent(BOB)}`);
		await alice.page.getByRole("button", { name: "Accept new key" }).click();
		await alice.page.getByRole("heading", { name: "Safety number changed" }).waitFor({ state: "detached" });
		await alice.incoming("New phone, same Bob").waitFor();
		await alice.send("Welcome back, Bob");
		await bob.page.goto(`${relay.url}/#/chat/${encodeURIComponent(ALICE)}`);
		await bob.incoming("Welcome back, Bob").waitFor();
		expect(alice.pageErrors).toEqual([]);
	});
});
