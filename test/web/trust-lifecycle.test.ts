// The trust lifecycle in the browser, with two people in their own browser contexts against the real
// relay: a contact reinstalls and writes with a new key; the key-change notice offers "Accept new key"
// and "Reject new key" (also in the contact details); rejecting keeps the old key, keeps the new key's
// messages out (across a reload too) and their sender sees "Not delivered" with the reason; the contact
// details then say so and "Accept it after all" lets the contact back in, where "Send again" delivers
// the message that was not. A message the recipient's new install could not read is marked not
// delivered once its key is accepted and sent again by itself. Each of these screens is checked with
// axe-core (WCAG 2.1 AA) in light and dark at 390 and 1280 px, and screenshots of them go to
// test-results/screenshots/.
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { expectAccessible } from "./support/axe.ts";
import { fileBrowser } from "./support/chromium.ts";
import { screenshot, screenshotBoth } from "./support/screenshots.ts";
import { WebUser } from "./support/web-user.ts";

const WAIT = { timeout: 20_000 };
const KIM = "+15555550401";
const LEE = "+15555550402";

let relay: RunningRelay;
let browser: Browser;
let kim: WebUser;
let lee: WebUser;

beforeAll(async () => {
	[relay, browser] = await Promise.all([startRelay(), fileBrowser()]);
	[kim, lee] = await Promise.all([
		WebUser.open(browser, relay.url, "desktop"),
		WebUser.open(browser, relay.url, "phone"),
	]);
	await Promise.all([kim.register(KIM), lee.register(LEE)]);
}, 120_000);
afterEach(async (context) => {
	if (context.task.result?.state !== "fail") return;
	const name = context.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
	await screenshot(kim.page, `failure-${name}-kim`).catch(() => undefined);
	await screenshot(lee.page, `failure-${name}-lee`).catch(() => undefined);
	console.log("kim page errors:", kim.pageErrors, "lee page errors:", lee.pageErrors);
});
afterAll(async () => {
	await browser?.close();
	await relay?.close();
});

/** The same screen in the dark colour scheme, at both widths (`…-dark`). */
async function screenshotDark(page: Page, name: string): Promise<void> {
	await page.emulateMedia({ colorScheme: "dark" });
	await screenshotBoth(page, `${name}-dark`);
	await page.emulateMedia({ colorScheme: "light" });
}

/** The text of the element(s) an element's aria-describedby points at. */
async function description(page: Page, name: string): Promise<string> {
	const ids = (await page.getByRole("button", { name }).getAttribute("aria-describedby")) ?? "";
	const texts = await Promise.all(ids.split(/\s+/).map((id) => page.locator(`[id="${id}"]`).textContent()));
	return texts.join(" ").replace(/\s+/g, " ").trim();
}

describe("trust lifecycle in the browser", () => {
	it("offers Accept and Reject when a contact writes with a new key", async () => {
		await kim.startChat(LEE);
		await kim.send("Hi Lee, before your new phone");
		await lee.openChat(KIM);
		await lee.incoming("Hi Lee, before your new phone").waitFor();

		// Lee reinstalls: a fresh browser profile registers the same phone with new keys.
		const oldLee = lee;
		lee = await WebUser.open(browser, relay.url, "phone");
		await lee.register(LEE);
		await oldLee.close();
		await lee.startChat(KIM);
		await lee.send("From my new phone");
		await lee.expectStatus("From my new phone", ["sent", "queued"]);
		await expectAccessible(lee.page, "conversation: sent, not yet delivered");

		await kim.openChat(LEE);
		await kim.page.getByRole("heading", { name: "Safety number changed" }).waitFor();
		await kim.page.getByRole("button", { name: "Accept new key" }).waitFor();
		await kim.page.getByRole("button", { name: "Reject new key" }).waitFor();
		expect(await description(kim.page, "Reject new key")).toBe(
			"Reject if you did not expect a change: messages signed by the new key are not shown and the sender is told.",
		);
		expect(await kim.page.getByLabel("Message", { exact: true }).isDisabled()).toBe(true);
		expect(await kim.incoming("From my new phone").count()).toBe(0);
		await expectAccessible(kim.page, "conversation: key-change notice");
		await screenshotBoth(kim.page, "key-change-reject");
		await screenshotDark(kim.page, "key-change-reject");

		// The contact details show the new number with the same two choices.
		await kim.page.getByRole("link", { name: "Compare safety number" }).click();
		await kim.page.getByLabel("New safety number", { exact: true }).waitFor();
		await kim.page.getByRole("button", { name: "Accept new key" }).waitFor();
		expect(await description(kim.page, "Reject new key")).toContain("the sender is told");
		await expectAccessible(kim.page, "contact details: new key to accept or reject");
		await screenshotBoth(kim.page, "key-change-compare-reject");
	});

	it("rejecting keeps the old key, keeps the new key's messages out and tells the sender", async () => {
		await kim.page.goto(`${relay.url}/#/chat/${encodeURIComponent(LEE)}`);
		// From the keyboard: the button is focusable and Enter activates it.
		await kim.page.getByRole("button", { name: "Reject new key" }).focus();
		await kim.page.keyboard.press("Enter");
		await kim.page.getByRole("heading", { name: "Safety number changed" }).waitFor({ state: "detached" });
		// Sending works again and the cursor is back in the message box.
		expect(await kim.page.getByLabel("Message", { exact: true }).isDisabled()).toBe(false);
		await expect.poll(() => kim.page.evaluate(() => document.activeElement?.id), WAIT).toBe("composer-input");
		await kim.page.getByText("You rejected a new safety number").waitFor();
		await expectAccessible(kim.page, "conversation: a rejected key");

		// Lee's message was dropped, and Lee's app was told (signed, end to end).
		await lee.expectStatus("From my new phone", ["failed"]);
		const failed = lee.outgoing("From my new phone");
		expect(await failed.getAttribute("data-error")).toBe("not_delivered");
		await failed.getByText("Not delivered", { exact: false }).first().waitFor();
		await failed.getByText("did not accept your new safety number").waitFor();
		expect(await failed.locator(".message-status").textContent()).toContain("Not delivered");
		await failed.getByRole("button", { name: "Send again" }).waitFor();
		await expectAccessible(lee.page, "conversation: not delivered");
		await screenshotBoth(lee.page, "not-delivered");
		await screenshotDark(lee.page, "not-delivered");
		expect(await kim.incoming("From my new phone").count()).toBe(0);

		// The contact details say so, with the rejected number and "Accept it after all".
		await kim.page.goto(`${relay.url}/#/contact/${encodeURIComponent(LEE)}`);
		await kim.page.getByRole("heading", { name: "You rejected a new key" }).waitFor();
		const rejected = kim.page.getByLabel("Rejected safety number", { exact: true });
		const current = kim.page.getByLabel("Safety number", { exact: true });
		await kim.page.getByRole("button", { name: "Accept it after all" }).waitFor();
		expect(await rejected.getAttribute("data-digits")).not.toBe(await current.getAttribute("data-digits"));
		await expectAccessible(kim.page, "contact details: a rejected key");
		await screenshotBoth(kim.page, "key-rejected-details");

		// The rejection is stored: after a reload, a new message signed by that key is refused too.
		await kim.reload();
		await kim.expectOnline();
		await lee.send("Another try, still refused");
		await lee.expectStatus("Another try, still refused", ["failed"]);
		expect(await lee.outgoing("Another try, still refused").getAttribute("data-error")).toBe("not_delivered");
		await kim.page.goto(`${relay.url}/#/chat/${encodeURIComponent(LEE)}`);
		await kim.page.getByText("You rejected a new safety number").waitFor();
		expect(await kim.incoming("Another try, still refused").count()).toBe(0);
	});

	it("accepting the rejected key after all lets the contact in, and Send again delivers", async () => {
		await kim.page.goto(`${relay.url}/#/contact/${encodeURIComponent(LEE)}`);
		await kim.page.getByRole("button", { name: "Accept it after all" }).click();
		const note = kim.page.getByText("You accepted the key you had rejected.");
		await note.waitFor();
		await expect.poll(() => note.evaluate((element) => element === document.activeElement), WAIT).toBe(true);
		await kim.page.getByRole("heading", { name: "You rejected a new key" }).waitFor({ state: "detached" });
		await expectAccessible(kim.page, "contact details: the rejected key accepted after all");
		const digits = await kim.page.getByLabel("Safety number", { exact: true }).getAttribute("data-digits");

		// Lee sends the refused message again under its id: it arrives once and turns delivered.
		await lee.outgoing("From my new phone").getByRole("button", { name: "Send again" }).click();
		await lee.expectStatus("From my new phone", ["delivered"]);
		await kim.page.goto(`${relay.url}/#/chat/${encodeURIComponent(LEE)}`);
		await kim.incoming("From my new phone").waitFor();
		expect(await kim.incoming("From my new phone").count()).toBe(1);
		expect(await kim.page.getByText("You rejected a new safety number").count()).toBe(0);
		await kim.send("Welcome back, Lee");
		await lee.incoming("Welcome back, Lee").waitFor();
		expect(await lee.safetyDigits(KIM)).toBe(digits);
		expect(kim.pageErrors).toEqual([]);
		expect(lee.pageErrors).toEqual([]);
	});

	it("sends a message the recipient could not show again by itself, over a new session", async () => {
		// Lee reinstalls once more; Kim, who does not know yet, writes on the old session.
		const oldLee = lee;
		lee = await WebUser.open(browser, relay.url, "desktop");
		await lee.register(LEE);
		await oldLee.close();
		await kim.page.goto(`${relay.url}/#/chat/${encodeURIComponent(LEE)}`);
		const message = await kim.send("Written to the old install");
		// Lee's new app cannot decrypt it and says so, signed with its new key: Kim is asked about the key.
		await kim.page.getByRole("heading", { name: "Safety number changed" }).waitFor();
		await kim.page.getByRole("button", { name: "Accept new key" }).click();
		// Then the notice counts: not delivered, sent again once over a new session, and delivered.
		await expect.poll(() => message.getAttribute("data-status"), WAIT).toBe("delivered");
		expect(await message.getAttribute("data-redelivery")).toBe("sent");
		await lee.openChat(KIM);
		await lee.incoming("Written to the old install").waitFor();
		expect(await lee.incoming("Written to the old install").count()).toBe(1);
		expect(kim.pageErrors).toEqual([]);
		expect(lee.pageErrors).toEqual([]);
	});
});
