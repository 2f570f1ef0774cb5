// Your data (issue 15) in real Chromium against the real relay: Settings → Back up (a download and
// its recovery key) and Restore on the registration screen of a fresh browser (an upload; wrong key
// and damaged file refused with nothing changed; history back; the contact meets a key change);
// Settings → Delete account (typed
// confirmation, the relay's state checked through its routes, IndexedDB removed after the relay
// confirmed, the number registering again as new, a contact's send refused). Every new screen is
// checked with axe in light and dark at phone and desktop width, and photographed.
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RelayHttpClient, RelayRequestError } from "../../protocol/client/index.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { makeIdentity } from "../support/test-identity.ts";
import { expectAccessible } from "./support/axe.ts";
import { fileBrowser } from "./support/chromium.ts";
import { screenshot, screenshotBoth } from "./support/screenshots.ts";
import { WebUser } from "./support/web-user.ts";

const ANA = "+15555550701";
const BEN = "+15555550702";
const PROBE = "+15555550709";
const CYD = "+15555550703";
const DEE = "+15555550704";
const WAIT = { timeout: 20_000 };

let relay: RunningRelay;
let browser: Browser;
const users: WebUser[] = [];

beforeAll(async () => {
	[relay, browser] = await Promise.all([startRelay(), fileBrowser()]);
}, 120_000);
afterEach(async (context) => {
	if (context.task.result?.state === "fail") {
		for (const [index, user] of users.entries()) await screenshot(user.page, `failed-your-data-${index}`);
	}
	for (const user of users.splice(0)) await user.close();
});
afterAll(async () => {
	await browser?.close();
	await relay?.close();
});

async function open(): Promise<WebUser> {
	const user = await WebUser.open(browser, relay.url);
	users.push(user);
	return user;
}

/** A third phone registered straight through the relay's routes, to look at the relay's state. */
async function probe(): Promise<{ http: RelayHttpClient; token: string }> {
	const http = new RelayHttpClient(relay.url);
	const requested = await http.requestCode(PROBE);
	const registered = await http.confirmCode(PROBE, requested.code ?? "", (await makeIdentity()).publicKeys);
	return { http, token: registered.token };
}

async function relayCode(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
		return "ok";
	} catch (error) {
		return error instanceof RelayRequestError ? error.code : String(error);
	}
}

describe("Delete account in the web app", () => {
	it("asks for the number, deletes on the relay, then this browser's data; the number registers again as new", async () => {
		const [ana, ben] = await Promise.all([open(), open()]);
		await Promise.all([ana.register(ANA), ben.register(BEN)]);
		await ben.startChat(ANA);
		await ben.send("hello Ana");
		const { http, token } = await probe();
		expect(await relayCode(http.fetchBundle(token, ANA))).toBe("ok");

		await ana.page.getByRole("link", { name: "Settings" }).click();
		const typed = ana.page.getByLabel("Type your number to confirm");
		const button = ana.page.getByRole("button", { name: "Delete my account" });
		await typed.waitFor();
		expect(await button.isDisabled()).toBe(true);
		await typed.fill(BEN);
		expect(await button.isDisabled()).toBe(true);
		await expectAccessible(ana.page, "settings: delete account");
		await screenshotBoth(ana.page, "settings-delete-account");

		await typed.fill(ANA);
		await button.click();
		await ana.page
			.getByText(`Your account ${ANA} was deleted from the relay and this browser.`)
			.waitFor(WAIT);
		await expectAccessible(ana.page, "registration after deleting the account");
		await screenshotBoth(ana.page, "register-after-delete");

		// The relay holds nothing for Ana: no keys to fetch, and Ben's message is refused.
		expect(await relayCode(http.fetchBundle(token, ANA))).toBe("not_registered");
		await ben.send("are you there?");
		await ben.page
			.getByText(/not registered|not on FriendLy/i)
			.first()
			.waitFor(WAIT);
		// This browser holds no account, history or contacts any more, even after a reload.
		await ana.reload();
		await ana.page.getByLabel("Phone number").waitFor(WAIT);
		const left = await ana.page.evaluate(
			() =>
				new Promise<number>((resolve, reject) => {
					const request = indexedDB.open("friendly");
					request.onsuccess = () => {
						const db = request.result;
						const count = db.transaction("history").objectStore("history").count();
						count.onsuccess = () => resolve(count.result);
						count.onerror = () => reject(count.error);
					};
					request.onerror = () => reject(request.error);
				}),
		);
		expect(left).toBe(0);

		// The number registers again as new: a fresh identity, found by the relay again.
		await ana.register(ANA);
		await ana.page.getByRole("heading", { name: "Chats" }).waitFor();
		expect(await ana.page.locator(".conversation-item").count()).toBe(0);
		expect(await relayCode(http.fetchBundle(token, ANA))).toBe("ok");
		expect(ana.pageErrors).toEqual([]);
	});
});

describe("Back up and Restore in the web app", () => {
	it("downloads a backup with its key, restores it into a fresh browser (wrong key and damaged file refused), then registers", async () => {
		const [cyd, dee] = await Promise.all([open(), open()]);
		await Promise.all([cyd.register(CYD), dee.register(DEE)]);
		await dee.startChat(CYD);
		await dee.send("a message worth keeping");
		await cyd.openChat(DEE);
		await cyd.page.locator(".message-text", { hasText: "a message worth keeping" }).waitFor(WAIT);

		// Export chat (contact details): a readable file with its warning.
		await cyd.page.goto(`${relay.url}/#/contact/${encodeURIComponent(DEE)}`);
		const exported = cyd.page.waitForEvent("download");
		await cyd.page.getByRole("button", { name: "Export as text" }).click();
		const exportPath = join(tmpdir(), `friendly-web-export-${Date.now()}.txt`);
		await (await exported).saveAs(exportPath);
		const exportText = await readFile(exportPath, "utf8");
		expect(exportText).toMatch(/^# This file is NOT encrypted/);
		expect(exportText).toContain(`] ${DEE}: a message worth keeping`);
		await expectAccessible(cyd.page, "contact details: export chat");
		await screenshotBoth(cyd.page, "contact-export-chat");

		await cyd.page.goto(`${relay.url}/#/settings`);
		const download = cyd.page.waitForEvent("download");
		await cyd.page.getByRole("button", { name: "Back up" }).click();
		const saved = join(tmpdir(), `friendly-web-backup-${Date.now()}.friendly`);
		await (await download).saveAs(saved);
		const recoveryKey = ((await cyd.page.getByTestId("recovery-key").textContent()) ?? "").trim();
		expect(recoveryKey).toMatch(/^([0-9A-Z]{5}-){5}[0-9A-Z]{5}$/);
		expect((await readFile(saved)).toString("latin1")).not.toContain("worth keeping");
		await expectAccessible(cyd.page, "settings: backup made");
		await screenshotBoth(cyd.page, "settings-backup");

		// A fresh browser (a new context: empty storage) restores from the registration screen.
		const fresh = await open();
		const damaged = `${saved}.damaged`;
		const bytes = await readFile(saved);
		bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 1;
		await writeFile(damaged, bytes);
		const restore = async (file: string, key: string) => {
			await fresh.page.getByLabel("Backup file").setInputFiles(file);
			await fresh.page.getByLabel("Recovery key").fill(key);
			await fresh.page.getByRole("button", { name: "Restore" }).click();
		};
		await restore(saved, "ABCDE-FGHJK-MNPQR-STVWX-YZ012-34567");
		await fresh.page.getByText("That recovery key does not open this backup").waitFor(WAIT);
		await expectAccessible(fresh.page, "registration: restore refused");
		await restore(damaged, recoveryKey);
		await fresh.page.getByText("This backup file is damaged or was changed").waitFor(WAIT);
		await restore(saved, recoveryKey.toLowerCase());
		await fresh.page.getByText(/Restored \d+ messages? with 1 contact from \+15555550703/).waitFor(WAIT);
		await expectAccessible(fresh.page, "registration: restored");
		await screenshotBoth(fresh.page, "register-restored");

		// Registering gives a new identity; the history is back.
		await fresh.register(CYD);
		await fresh.openChat(DEE);
		await fresh.page.locator(".message-text", { hasText: "a message worth keeping" }).waitFor(WAIT);
		// Dee's browser meets the new key when Cyd writes from the restored one.
		await fresh.send("restored and back");
		await dee.openChat(CYD);
		await dee.page
			.getByText(/safety number (with .* )?changed/i)
			.first()
			.waitFor(WAIT);
		expect(fresh.pageErrors).toEqual([]);
	});
});
