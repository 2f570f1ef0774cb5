// Everyday use in the browser (issue 16), in real Chromium against the real relay: a pending
// verification survives a reload ("I already have a code", "Send a new code" with its countdown);
// names for contacts shown in the list, the conversation and the details (number still shown there);
// date separators; the unread count in the page title; the verified mark in the chat list; system
// entries in the conversation (safety number changed, verified, rejected and accepted keys, not
// delivered); the key-change screen (the new number with its QR code, the previous one marked as no
// longer verified, Accept and Reject); the composer's character counter and a refused over-long paste;
// and a message typed while offline shown as waiting for the connection, then delivered. Every new or
// changed screen is checked with axe in light and dark at phone and desktop width, and photographed.
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { expectAccessible } from "./support/axe.ts";
import { fileBrowser } from "./support/chromium.ts";
import { screenshot, screenshotBoth } from "./support/screenshots.ts";
import { WebUser } from "./support/web-user.ts";

const ANA = "+15555550601";
const BEN = "+15555550602";
const PAT = "+15555550603";
const WAIT = { timeout: 20_000 };
const DAY_MS = 24 * 60 * 60 * 1000;

let relay: RunningRelay;
let browser: Browser;
const users: WebUser[] = [];

/** Code requests for one phone 60 s apart, as in production: the countdown has something to count. */
let spacedRelay: RunningRelay;

beforeAll(async () => {
	[relay, spacedRelay, browser] = await Promise.all([
		startRelay(),
		startRelay({ vars: { CODE_RESEND_INTERVAL_SECONDS: "60" } }),
		fileBrowser(),
	]);
}, 120_000);
afterEach(async (context) => {
	if (context.task.result?.state !== "fail") return;
	for (const [index, user] of users.entries()) {
		await screenshot(user.page, `failure-everyday-${index}`).catch(() => undefined);
		console.log(`user ${index} page errors:`, user.pageErrors);
	}
});
afterAll(async () => {
	await browser?.close();
	await relay?.close();
	await spacedRelay?.close();
});

async function open(on: RunningRelay = relay): Promise<WebUser> {
	const user = await WebUser.open(browser, on.url, "desktop");
	users.push(user);
	return user;
}

async function screenshotDark(page: Page, name: string): Promise<void> {
	await page.emulateMedia({ colorScheme: "dark" });
	await screenshotBoth(page, `${name}-dark`);
	await page.emulateMedia({ colorScheme: "light" });
}

function systemEntry(page: Page, event: string) {
	return page.locator(`.system-entry[data-event="${event}"]`);
}

describe("a pending verification survives a reload", () => {
	it("offers the code already sent for that number, and a new one after the countdown", async () => {
		const pat = await open(spacedRelay);
		await pat.page.getByLabel("Phone number").fill(PAT);
		await pat.page.getByRole("button", { name: "Send code" }).click();
		const code = (await pat.page.getByTestId("echo-code").textContent())?.trim() ?? "";
		expect(code).toMatch(/^[0-9]{6}$/);
		// The code step counts down to the next request the relay accepts.
		await expect(
			pat.page.getByRole("button", { name: /^Send a new code \(\d+ s\)$/ }).isDisabled(),
		).resolves.toBe(true);

		await pat.reload();
		await pat.page.getByRole("heading", { name: "You asked for a code" }).waitFor();
		await pat.page.getByText(PAT).waitFor();
		const resend = pat.page.getByRole("button", { name: /^Send a new code \((\d+) s\)$/ });
		expect(await resend.isDisabled()).toBe(true);
		const first = Number(/\((\d+) s\)/.exec((await resend.textContent()) ?? "")?.[1]);
		expect(first).toBeGreaterThan(40);
		expect(first).toBeLessThanOrEqual(60);
		await expect
			.poll(async () => Number(/\((\d+) s\)/.exec((await resend.textContent()) ?? "")?.[1]), WAIT)
			.toBeLessThan(first);
		await expectAccessible(pat.page, "registration: a code was already asked for");
		await screenshotBoth(pat.page, "register-pending-code");
		await screenshotDark(pat.page, "register-pending-code");

		await pat.page.getByRole("button", { name: "I already have a code" }).click();
		await pat.page.getByText(`Enter the code you received for ${PAT}.`).waitFor();
		await expectAccessible(pat.page, "registration: the code asked for before the reload");
		await pat.page.getByLabel("Verification code").fill(code);
		await pat.page.getByRole("button", { name: "Verify" }).click();
		await pat.expectOnline();

		// Registered: the pending request is gone (a reload opens the app, not the code step).
		await pat.reload();
		await pat.expectOnline();
		expect(await pat.page.getByRole("heading", { name: "You asked for a code" }).count()).toBe(0);
		expect(pat.pageErrors).toEqual([]);
		await pat.close();
	});
});

describe("everyday chat", () => {
	let ana: WebUser;
	let ben: WebUser;

	beforeAll(async () => {
		[ana, ben] = await Promise.all([open(), open()]);
		await Promise.all([ana.register(ANA), ben.register(BEN)]);
	}, 120_000);

	it("separates days, counts unread messages in the title, and names a contact everywhere", async () => {
		// Ana writes the first message "two days ago" (her browser's clock), the second today.
		const twoDaysAgo = Date.now() - 2 * DAY_MS;
		await ana.page.clock.setFixedTime(twoDaysAgo);
		await ana.reload();
		await ana.expectOnline();
		await ana.startChat(BEN);
		await ana.send("Written two days ago");
		await ana.expectStatus("Written two days ago", ["sent", "delivered"]);
		await ana.page.clock.setFixedTime(Date.now());
		await ana.reload();
		await ana.expectOnline();
		await ana.page.getByLabel("Message", { exact: true }).waitFor();
		await ana.send("Written today");
		await ana.expectStatus("Written today", ["sent", "delivered"]);

		// Ben is on the list: the title counts what he has not read.
		const item = ben.page.locator(`.conversation-item[data-phone="${ANA}"]`);
		await expect.poll(() => item.getAttribute("data-unread"), WAIT).toBe("2");
		await expect.poll(() => ben.page.title(), WAIT).toBe("(2) FriendLy");

		await ben.openChat(ANA);
		await ben.incoming("Written today").waitFor();
		await expect.poll(() => ben.page.title(), WAIT).toBe("FriendLy");
		const days = await ben.page.locator(".day-label").allTextContents();
		expect(days).toHaveLength(2);
		expect(days[0]).not.toMatch(/^(Today|Yesterday)$/);
		expect(days[0]).toContain(String(new Date(twoDaysAgo).getDate()));
		expect(days[1]).toBe("Today");
		// Each day heading comes before its messages.
		const order = await ben.page
			.locator(".message-list > li")
			.evaluateAll((items) => items.map((li) => li.className.split(" ")[0] ?? ""));
		expect(order).toEqual(["day-separator", "message", "day-separator", "message"]);
		await expectAccessible(ben.page, "conversation with day separators");
		await screenshotBoth(ben.page, "conversation-days");

		// Ben names Ana in her contact details; the number stays there, the name replaces it elsewhere.
		await ben.page.getByRole("link", { name: "Contact details" }).click();
		await ben.page.getByRole("button", { name: "Add a name" }).click();
		const name = ben.page.getByLabel("Name", { exact: true });
		await name.fill("\u0007");
		await ben.page.getByRole("button", { name: "Save name" }).click();
		await ben.page.getByRole("alert").filter({ hasText: "control characters" }).waitFor();
		await expectAccessible(ben.page, "contact details: a name refused");
		await name.fill("  Ana Lima ");
		await ben.page.getByRole("button", { name: "Save name" }).click();
		await ben.page.getByRole("status").filter({ hasText: "Name saved." }).waitFor();
		// The form folds back and the keyboard returns to the button that opened it.
		await expect
			.poll(() => ben.page.evaluate(() => document.activeElement?.textContent), WAIT)
			.toBe("Edit name");
		await ben.page.locator(".contact-name", { hasText: "Ana Lima" }).waitFor();
		expect(await ben.page.locator(".contact-phone").textContent()).toBe(ANA);
		await expectAccessible(ben.page, "contact details with a name");
		await screenshotBoth(ben.page, "contact-details-named");

		await expect.poll(() => item.locator(".conversation-phone").textContent(), WAIT).toBe("Ana Lima");
		await ben.openChat(ANA);
		expect(await ben.page.locator(".conversation-peer").textContent()).toBe("Ana Lima");
		expect(await ben.page.getByRole("log").getAttribute("aria-label")).toBe("Messages with Ana Lima");

		// The name stays on this device: after a reload it is still there.
		await ben.reload();
		await expect.poll(() => item.locator(".conversation-phone").textContent(), WAIT).toBe("Ana Lima");
	});

	it("marks a verified contact in the list and writes what happened into the conversation", async () => {
		const item = ben.page.locator(`.conversation-item[data-phone="${ANA}"]`);
		expect(await item.getAttribute("data-verified")).toBe("false");
		await ben.page.goto(`${relay.url}/#/contact/${encodeURIComponent(ANA)}`);
		await ben.page.getByRole("button", { name: "Mark as verified" }).click();
		await ben.page.getByText("Verified: you compared this safety number.").waitFor();
		await expect.poll(() => item.getAttribute("data-verified"), WAIT).toBe("true");
		expect(await item.textContent()).toContain("(verified)");
		// Cleared and verified again: the list follows, and each step is written into the conversation.
		await ben.page.getByRole("button", { name: "Clear verification" }).click();
		await expect.poll(() => item.getAttribute("data-verified"), WAIT).toBe("false");
		await ben.page.getByRole("button", { name: "Mark as verified" }).click();
		await expect.poll(() => item.getAttribute("data-verified"), WAIT).toBe("true");
		await ben.openChat(ANA);
		await systemEntry(ben.page, "unverified")
			.filter({ hasText: "You cleared the verification of Ana Lima's safety number." })
			.waitFor();
		await expect.poll(() => systemEntry(ben.page, "verified").count(), WAIT).toBe(2);
		for (const text of await systemEntry(ben.page, "verified").allTextContents())
			expect(text).toMatch(/^You verified Ana Lima's safety number\. /);
		await expectAccessible(ben.page, "conversation list with a verified contact, and a system entry");
		await screenshotBoth(ben.page, "conversation-verified-entry");
	});

	it("shows the key-change screen: the new number with its QR code, the previous one no longer verified", async () => {
		// Ana registers her number again in a new browser: a new key.
		const ana2 = await open();
		await ana2.register(ANA);
		await ana2.startChat(BEN);
		await ana2.send("New browser, same Ana");

		const item = ben.page.locator(`.conversation-item[data-phone="${ANA}"]`);
		await systemEntry(ben.page, "safety_number_changed").waitFor(WAIT);
		await expect.poll(() => item.getAttribute("data-verified"), WAIT).toBe("false");
		await ben.page.getByRole("link", { name: "Compare safety number" }).click();

		const fresh = ben.page.getByLabel("New safety number", { exact: true });
		await fresh.waitFor();
		const qr = ben.page.getByRole("img", { name: "New safety number as a QR code" });
		const digits = await fresh.getAttribute("data-digits");
		expect(await qr.getAttribute("data-payload")).toBe(`FLSN1:${digits}`);
		expect(digits).toBe(await ana2.safetyDigits(BEN));
		await ben.page.getByRole("heading", { name: "Previous safety number: no longer verified" }).waitFor();
		await ben.page.getByText("You had verified it; that does not carry over to the new key.").waitFor();
		const previous = ben.page.getByLabel("Previous safety number", { exact: true });
		expect(await previous.getAttribute("data-digits")).not.toBe(digits);
		// One QR code on the screen: the new number's. No "✓ Verified" and no "Mark as verified".
		expect(await ben.page.locator("svg.qr").count()).toBe(1);
		expect(await ben.page.getByText("✓ Verified").count()).toBe(0);
		expect(await ben.page.getByRole("button", { name: "Mark as verified" }).count()).toBe(0);
		await ben.page.getByRole("button", { name: "Accept new key" }).waitFor();
		await ben.page.getByRole("button", { name: "Reject new key" }).waitFor();
		await expectAccessible(ben.page, "key-change screen");
		await screenshotBoth(ben.page, "key-change-screen");
		await screenshotDark(ben.page, "key-change-screen");

		// Ben rejects: Ana's new browser is told, and writes "not delivered" into her conversation.
		await ben.page.getByRole("button", { name: "Reject new key" }).click();
		await ben.page.getByRole("button", { name: "Accept it after all" }).waitFor();
		await ana2.page.goto(`${relay.url}/#/chat/${encodeURIComponent(BEN)}`);
		const notDelivered = systemEntry(ana2.page, "not_delivered");
		await notDelivered.waitFor(WAIT);
		expect(await notDelivered.textContent()).toMatch(/^Not delivered: “New browser, same Ana”/);
		await expectAccessible(ana2.page, "conversation: a not-delivered entry");
		await screenshotBoth(ana2.page, "conversation-not-delivered-entry");

		// Ana confirms it was her: Ben accepts after all. His conversation tells the story.
		await ben.page.getByRole("button", { name: "Accept it after all" }).click();
		await ben.openChat(ANA);
		for (const event of ["safety_number_changed", "key_rejected", "key_accepted"]) {
			await systemEntry(ben.page, event).waitFor(WAIT);
		}
		expect(await systemEntry(ben.page, "key_accepted").textContent()).toContain(
			"You accepted Ana Lima's new key",
		);
		await expectAccessible(ben.page, "conversation: key change entries");
		await screenshotBoth(ben.page, "conversation-key-entries");
		expect(ana2.pageErrors).toEqual([]);
		ana = ana2;
	});

	it("counts down the last characters, refuses a paste over 16,000 and never cuts a message", async () => {
		const box = ben.page.getByLabel("Message", { exact: true });
		expect(await box.getAttribute("maxlength")).toBeNull();
		await box.fill("a".repeat(15_500));
		await ben.page.getByText("500 characters left").waitFor();
		expect(await box.getAttribute("aria-describedby")).toBe("composer-count");

		// A paste that would pass the limit is refused, with the sentence why; the box keeps its text.
		await box.evaluate((element) => {
			const data = new DataTransfer();
			data.setData("text/plain", "b".repeat(7_956));
			element.dispatchEvent(
				new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
			);
		});
		await ben.page
			.getByRole("alert")
			.filter({ hasText: "Nothing was pasted: the message would have 23,456 characters" })
			.waitFor();
		expect(await box.inputValue()).toHaveLength(15_500);
		await expectAccessible(ben.page, "composer: counter and a refused paste");
		await screenshotBoth(ben.page, "composer-paste-refused");

		// Text over the limit (typed or dropped) is kept, marked, and cannot be sent.
		await box.fill("c".repeat(16_005));
		await ben.page.getByText("5 characters too many").waitFor();
		expect(await ben.page.getByRole("button", { name: "Send", exact: true }).isDisabled()).toBe(true);
		expect(await box.inputValue()).toHaveLength(16_005);
		await expectAccessible(ben.page, "composer: over the limit");
		await screenshotBoth(ben.page, "composer-over-limit");

		// Exactly 16,000 goes, whole.
		await box.fill("d".repeat(16_000));
		await ben.page.getByRole("button", { name: "Send", exact: true }).click();
		await ana.incoming("d".repeat(100)).waitFor(WAIT);
		const received = await ana.incoming("d".repeat(100)).locator(".message-text").textContent();
		expect(received).toHaveLength(16_000);
	});

	it("shows a message typed while offline as waiting for the connection, then delivers it", async () => {
		await ben.goOffline();
		await ben.page.locator('[data-state="offline"], [data-state="connecting"]').first().waitFor(WAIT);
		await ben.send("Typed in a tunnel");
		const message = ben.outgoing("Typed in a tunnel");
		await expect.poll(() => message.getAttribute("data-waiting"), WAIT).toBe("connection");
		expect(await message.getAttribute("data-status")).toBe("sending");
		expect(await message.locator(".message-status").textContent()).toContain("Waiting for connection");
		expect(await message.getByRole("button", { name: "Send again" }).count()).toBe(0);
		await expectAccessible(ben.page, "conversation: a message waiting for the connection");
		await screenshotBoth(ben.page, "conversation-waiting-for-connection");

		await ben.goOnline();
		await ben.expectStatus("Typed in a tunnel", ["delivered"]);
		await ana.incoming("Typed in a tunnel").waitFor(WAIT);
		expect(await ana.incoming("Typed in a tunnel").count()).toBe(1);
		expect(ben.pageErrors).toEqual([]);
	});
});
