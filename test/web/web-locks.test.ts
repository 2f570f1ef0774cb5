// FriendLy runs in one tab at a time, enforced with the Web Locks API, and refuses to run without it:
// - a browser without Web Locks gets a screen saying so, and nothing is stored or connected;
// - another tab stealing the lock stops the first one: it says so, closes its connection, and what
//   arrives meanwhile waits at the relay (stored once, when FriendLy runs again);
// - the tab checks it still holds the lock before every use of its keys, so a steal the browser has not
//   announced yet still stops a send before anything is encrypted or stored;
// - a write that races a take-over is rolled back by the database's write fence.
// The other tab is a plain page of the same origin calling navigator.locks.request(…, { steal: true }).
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { MessengerEvent } from "../../protocol/messenger/index.ts";
import { registerUser, type TestUser } from "../support/messenger-user.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { expectAccessible } from "./support/axe.ts";
import { fileBrowser } from "./support/chromium.ts";
import { screenshot, screenshotBoth } from "./support/screenshots.ts";
import { storedHistory } from "./support/stored-history.ts";
import { WebUser } from "./support/web-user.ts";

const FAY = "+15555550501";
const GUS = "+15555550502";
const TAB_LOCK = "friendly-active-tab";

let relay: RunningRelay;
let browser: Browser;
let fay: WebUser;
let gus: TestUser;

beforeAll(async () => {
	[relay, browser] = await Promise.all([startRelay(), fileBrowser()]);
	gus = await registerUser(relay.url, GUS);
	gus.messenger.start();
	fay = await WebUser.open(browser, relay.url, "desktop");
	await fay.register(FAY);
	await fay.startChat(GUS);
	await fay.send("Before any steal");
	await gus.until((events) => texts(events).includes("Before any steal"), "Fay's first message");
}, 120_000);
afterEach(async (context) => {
	if (context.task.result?.state !== "fail") return;
	const name = context.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
	for (const [index, page] of fay.context.pages().entries())
		await screenshot(page, `failure-${name}-tab${index}`).catch(() => undefined);
	console.log("fay page errors:", fay.pageErrors);
});
afterAll(async () => {
	gus?.messenger.stop();
	await browser?.close();
	await relay?.close();
});

function texts(events: MessengerEvent[]): string[] {
	return events.flatMap((event) => (event.type === "message" ? [event.entry.text] : []));
}

function delivered(events: MessengerEvent[], id: string): boolean {
	return events.some((event) => event.type === "status" && event.id === id && event.status === "delivered");
}

/** A same-origin page that is not FriendLy (the relay's health check), as "another tab". */
async function otherTab(context: BrowserContext): Promise<Page> {
	const page = await context.newPage();
	await page.goto(`${relay.url}/healthz`);
	return page;
}

/** Takes the tab lock from whoever holds it, as another tab of FriendLy would, and keeps it. */
async function stealLock(page: Page): Promise<void> {
	await page.evaluate(
		(name) =>
			new Promise<void>((resolve) => {
				void navigator.locks.request(name, { steal: true }, () => {
					resolve();
					return new Promise<void>(() => {});
				});
			}),
		TAB_LOCK,
	);
}

/** Every message text in FriendLy's IndexedDB history, read from any page of the profile. */
async function storedTexts(page: Page): Promise<string[]> {
	return (await storedHistory(page)).map((entry) => entry.text);
}

/**
 * Test hooks in a FriendLy page, before its scripts run: `deaf` swallows the browser's "your lock was
 * stolen" rejection (as if it had not arrived yet); `pretendHeld` makes the lock manager's snapshot
 * say this page still holds the tab lock (so only the write fence is left to notice).
 */
function lockTestHooks(): void {
	const settings = { deaf: false, pretendHeld: false };
	Reflect.set(window, "__lockTest", settings);
	const manager = LockManager.prototype;
	const request = manager.request;
	const query = manager.query;
	let mine: string | undefined;
	Reflect.set(manager, "request", function (this: LockManager, ...args: unknown[]) {
		const result: Promise<unknown> = Reflect.apply(request, this, args);
		if (args[0] !== "friendly-active-tab") return result;
		return result.catch((error: unknown) => (settings.deaf ? new Promise(() => {}) : Promise.reject(error)));
	});
	Reflect.set(manager, "query", async function (this: LockManager) {
		const snapshot: LockManagerSnapshot = await Reflect.apply(query, this, []);
		const held = snapshot.held ?? [];
		for (const lock of held) if (lock.name?.startsWith("friendly-client-probe-")) mine = lock.clientId;
		if (!settings.pretendHeld) return snapshot;
		const others = held.filter((lock) => lock.name !== "friendly-active-tab");
		return {
			...snapshot,
			held: [...others, { name: "friendly-active-tab", mode: "exclusive", clientId: mine }],
		};
	});
}

/** Opens FriendLy in a new tab with the test hooks and moves FriendLy there. */
async function openHookedTab(hash: string): Promise<Page> {
	const page = await fay.context.newPage();
	page.on("pageerror", (error) => fay.pageErrors.push(error.message));
	await page.addInitScript(lockTestHooks);
	await page.goto(`${relay.url}/${hash}`);
	const takeOver = page.getByRole("button", { name: "Use FriendLy in this tab" });
	const online = page.locator('[data-state="online"]');
	await takeOver.or(online).first().waitFor();
	if (await takeOver.isVisible()) await takeOver.click();
	await online.waitFor();
	return page;
}

async function setHooks(page: Page, hooks: { deaf?: boolean; pretendHeld?: boolean }): Promise<void> {
	await page.evaluate((values) => Object.assign(Reflect.get(window, "__lockTest"), values), hooks);
}

describe("Web Locks", () => {
	it("refuses to run in a browser without Web Locks, before storing or connecting anything", async () => {
		const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
		try {
			await context.addInitScript(() => {
				Reflect.deleteProperty(Navigator.prototype, "locks");
			});
			const page = await context.newPage();
			const sockets: string[] = [];
			page.on("websocket", (socket) => sockets.push(socket.url()));
			await page.goto(`${relay.url}/`);
			await page.getByRole("heading", { name: "FriendLy needs a current browser" }).waitFor();
			expect(await page.getByRole("alert").textContent()).toBe(
				"This browser lacks Web Locks, which FriendLy needs so two tabs never write the same keys; use a current browser.",
			);
			expect(await page.evaluate(() => typeof navigator.locks)).toBe("undefined");
			const databases = await page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name));
			expect(databases).toEqual([]);
			expect(sockets).toEqual([]);
			await expectAccessible(page, "needs a current browser");
			await screenshotBoth(page, "no-web-locks");
		} finally {
			await context.close();
		}
	});

	it("a second tab stealing the lock stops the first: it says so and no longer sends or receives", async () => {
		const first = fay.page;
		const other = await otherTab(fay.context);
		// The lock manager answers a query in well under a millisecond: the check costs little per use.
		const perQuery = await other.evaluate(async () => {
			const start = performance.now();
			for (let i = 0; i < 200; i++) await navigator.locks.query();
			return (performance.now() - start) / 200;
		});
		console.log(`navigator.locks.query(): ${perQuery.toFixed(3)} ms each`);

		await stealLock(other);
		await first.getByRole("heading", { name: "FriendLy moved to another tab" }).waitFor();
		await first.getByText("it no longer sends, receives or uses your keys").waitFor();
		expect(await first.getByLabel("Message", { exact: true }).count()).toBe(0);
		await expectAccessible(first, "moved to another tab");
		await screenshotBoth(first, "tab-stopped");

		// A message for Fay now waits at the relay: the stopped tab neither stores nor acknowledges it.
		const sent = await gus.messenger.send(FAY, "While another tab holds the lock");
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		expect(delivered(gus.events, sent.id)).toBe(false);
		expect(await storedTexts(other)).not.toContain("While another tab holds the lock");

		// The other tab lets go; FriendLy moves back and gets it, once.
		await other.close();
		await first.getByRole("button", { name: "Use FriendLy in this tab" }).click();
		await fay.expectOnline();
		await fay.openChat(GUS);
		await fay.incoming("While another tab holds the lock").waitFor();
		await gus.until((events) => delivered(events, sent.id), "delivered after the move back");
		expect(await fay.incoming("While another tab holds the lock").count()).toBe(1);
	});

	it("checks the lock before using any key: a steal not yet announced still stops a send", async () => {
		const tab = await openHookedTab(`#/chat/${encodeURIComponent(GUS)}`);
		await fay.page.getByRole("heading", { name: "FriendLy moved to another tab" }).waitFor();
		await fay.page.close();
		// Running (the composer shown) before the steal, however slowly the machine started it.
		await tab.getByLabel("Message", { exact: true }).waitFor();
		await setHooks(tab, { deaf: true });
		const other = await otherTab(fay.context);
		await stealLock(other);
		// The browser's notice is swallowed: the tab still looks like it runs.
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(await tab.getByLabel("Message", { exact: true }).isVisible()).toBe(true);

		await tab.getByLabel("Message", { exact: true }).fill("Typed after the steal");
		await tab.getByRole("button", { name: "Send", exact: true }).click();
		await tab.getByRole("heading", { name: "FriendLy moved to another tab" }).waitFor();
		// Nothing was stored, encrypted or sent.
		expect(await storedTexts(other)).not.toContain("Typed after the steal");
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect(texts(gus.events)).not.toContain("Typed after the steal");
		await other.close();
		await tab.close();
	});

	it("rolls back a write that races a take-over (the write fence)", async () => {
		const tab = await openHookedTab(`#/chat/${encodeURIComponent(GUS)}`);
		await tab.getByLabel("Message", { exact: true }).waitFor();
		await setHooks(tab, { deaf: true, pretendHeld: true });
		const other = await otherTab(fay.context);
		await stealLock(other);
		// The new tab claims the database, as FriendLy does when it takes over.
		await other.evaluate(async () => {
			const db = await new Promise<IDBDatabase>((resolve, reject) => {
				const request = indexedDB.open("friendly");
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			await new Promise<void>((resolve, reject) => {
				const tx = db.transaction("local", "readwrite");
				tx.objectStore("local").put("the-other-tab", "writer");
				tx.oncomplete = () => resolve();
				tx.onerror = () => reject(tx.error);
			});
			db.close();
		});

		// The tab still believes it holds the lock and decrypts what arrives, but cannot store it.
		const sent = await gus.messenger.send(FAY, "Arrives during the take-over");
		await tab.getByRole("heading", { name: "FriendLy moved to another tab" }).waitFor();
		expect(await storedTexts(other)).not.toContain("Arrives during the take-over");
		expect(delivered(gus.events, sent.id)).toBe(false);

		// Not acknowledged, so not lost: it is stored once FriendLy runs again.
		await other.close();
		await setHooks(tab, { deaf: false, pretendHeld: false });
		await tab.getByRole("button", { name: "Use FriendLy in this tab" }).click();
		await tab.locator('[data-state="online"]').waitFor();
		await tab.locator(".message--in", { hasText: "Arrives during the take-over" }).waitFor();
		await gus.until((events) => delivered(events, sent.id), "delivered after the take-over");
		expect(await storedTexts(tab)).toContain("Arrives during the take-over");
		expect(fay.pageErrors).toEqual([]);
	});
});
