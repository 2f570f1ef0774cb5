// What a person sees when things go wrong, and how the keys are kept: a full mailbox is explained in
// words with "Send again", the notice that there is room again arrives, and the resend (same message,
// same id) is delivered once;
// the identity's private keys in IndexedDB are non-extractable CryptoKeys; the whole chat works from the
// keyboard alone, and every control has an accessible name. The "not sent" message and the notice are
// checked with axe-core (WCAG 2.1 AA) in light and dark at 390 and 1280 px.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { expectAccessible } from "./support/axe.ts";
import { fileBrowser } from "./support/chromium.ts";
import { screenshotBoth } from "./support/screenshots.ts";
import { WebUser } from "./support/web-user.ts";

const WAIT = { timeout: 20_000 };
const DORA = "+15555550301";
const EVAN = "+15555550302";

let relay: RunningRelay;
let browser: Browser;
let dora: WebUser;
let evan: WebUser;

beforeAll(async () => {
	// A mailbox of two messages, so "full" takes three sends.
	[relay, browser] = await Promise.all([startRelay({ vars: { MAILBOX_MAX_MESSAGES: "2" } }), fileBrowser()]);
	[dora, evan] = await Promise.all([
		WebUser.open(browser, relay.url, "desktop"),
		WebUser.open(browser, relay.url, "phone"),
	]);
	await Promise.all([dora.register(DORA), evan.register(EVAN)]);
}, 120_000);
afterAll(async () => {
	await browser?.close();
	await relay?.close();
});

/** Controls without a label or accessible name (a heuristic over the DOM: labels, aria-label, text). */
function unnamedControls(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const missing: string[] = [];
		for (const element of Array.from(document.querySelectorAll("a[href], button, input, textarea, select"))) {
			const labelled =
				(element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) &&
				(element.labels?.length ?? 0) > 0;
			const name = element.getAttribute("aria-label") ?? element.textContent ?? "";
			if (!labelled && name.trim() === "") missing.push(element.outerHTML.slice(0, 80));
		}
		return missing;
	});
}

describe("errors in words, keys, keyboard", () => {
	it("keeps the identity's private keys non-extractable in IndexedDB", async () => {
		const keys = await dora.page.evaluate(async () => {
			const db = await new Promise<IDBDatabase>((resolve, reject) => {
				const request = indexedDB.open("friendly");
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			const identity: unknown = await new Promise((resolve, reject) => {
				const request = db.transaction("local").objectStore("local").get("identity");
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			db.close();
			const results: string[] = [];
			for (const name of ["signing", "dh"]) {
				const pair: unknown = Reflect.get(Object(identity), name);
				const key: unknown = Reflect.get(Object(pair), "privateKey");
				if (!(key instanceof CryptoKey)) {
					results.push(`${name}: not a CryptoKey`);
					continue;
				}
				const exported = await crypto.subtle.exportKey("jwk", key).then(
					() => "exportable",
					() => "export refused",
				);
				results.push(`${name}: extractable=${key.extractable}, ${exported}`);
			}
			return results;
		});
		expect(keys).toEqual([
			"signing: extractable=false, export refused",
			"dh: extractable=false, export refused",
		]);
	});

	it("chats from the keyboard alone", async () => {
		const page = dora.page;
		await page.goto(`${relay.url}/#/`);
		await page.getByRole("link", { name: "New chat" }).focus();
		await page.keyboard.press("Enter");
		await page.getByLabel("Phone number").waitFor();
		// The new-chat screen puts the cursor in the number field.
		await expect.poll(() => page.evaluate(() => document.activeElement?.id), WAIT).toBe("new-chat-phone");
		await page.keyboard.type(EVAN);
		await page.keyboard.press("Enter");
		await page.getByLabel("Message", { exact: true }).waitFor();
		// On a desktop-sized screen the conversation puts the cursor in the message box.
		await expect.poll(() => page.evaluate(() => document.activeElement?.id), WAIT).toBe("composer-input");
		await page.keyboard.type("Typed and sent with the keyboard");
		await page.keyboard.press("Enter");
		await dora.expectStatus("Typed and sent with the keyboard", ["sent", "delivered"]);
		await evan.openChat(DORA);
		await evan.incoming("Typed and sent with the keyboard").waitFor();
		expect(await unnamedControls(dora.page)).toEqual([]);
		expect(await unnamedControls(evan.page)).toEqual([]);
	});

	it("explains a full mailbox, announces when there is room, and sends again", async () => {
		// Evan closes FriendLy; Dora's messages wait in his mailbox until it is full.
		await evan.closeTab();
		await dora.page.goto(`${relay.url}/#/chat/${encodeURIComponent(EVAN)}`);
		await dora.send("Waiting message 1");
		await dora.expectStatus("Waiting message 1", ["queued"]);
		await dora.send("Waiting message 2");
		await dora.expectStatus("Waiting message 2", ["queued"]);
		await dora.send("One too many");
		await dora.expectStatus("One too many", ["failed"]);
		const failed = dora.outgoing("One too many");
		await failed.getByText("mailbox is full").waitFor();
		await expectAccessible(dora.page, "conversation: not sent, mailbox full");
		await screenshotBoth(dora.page, "conversation-mailbox-full");

		// Evan comes back: his browser stores and acknowledges the backlog, the relay tells Dora.
		await evan.reopenTab(`#/chat/${encodeURIComponent(DORA)}`);
		await evan.incoming("Waiting message 2").waitFor();
		await dora.page.getByRole("alert").filter({ hasText: "room for messages again" }).waitFor();
		await expectAccessible(dora.page, "notice: room for messages again");
		await dora.expectStatus("Waiting message 2", ["delivered"]);

		await failed.getByRole("button", { name: "Send again" }).click();
		// Sent again under its own id: the same bubble turns delivered, no copy appears.
		await expect
			.poll(
				() =>
					dora.page.locator('.message--out[data-status="delivered"]', { hasText: "One too many" }).count(),
				WAIT,
			)
			.toBe(1);
		expect(await dora.outgoing("One too many").count()).toBe(1);
		expect(await failed.getByRole("button", { name: "Send again" }).count()).toBe(0);
		await evan.incoming("One too many").waitFor();
		expect(await evan.incoming("One too many").count()).toBe(1);
		expect(dora.pageErrors).toEqual([]);
		expect(await dora.cspViolations()).toEqual([]);
	});
});
