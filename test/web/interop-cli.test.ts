// A browser user and a CLI user (the real `friendly` process) chat with each other through the real
// relay, and both clients show the same safety number: the web app and the CLI share the messenger core
// and the protocol library, so this is the check that they also agree on the wire. It is also the
// end-to-end cross-backend check: the CLI process runs the node:crypto backend (client-cli/index.ts),
// Chromium runs WebCrypto (test/fast/cross-backend.test.ts is the in-process version).
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { fileBrowser } from "./support/chromium.ts";
import { FriendlyCli } from "./support/cli.ts";
import { screenshotBoth } from "./support/screenshots.ts";
import { WebUser } from "./support/web-user.ts";

const WEB = "+15555550201";
const CLI = "+15555550202";
const CLI_FIRST = "+15555550203";

let relay: RunningRelay;
let browser: Browser;
let web: WebUser;
let cli: FriendlyCli;

beforeAll(async () => {
	[relay, browser] = await Promise.all([startRelay(), fileBrowser()]);
	[web, cli] = await Promise.all([
		WebUser.open(browser, relay.url, "desktop"),
		FriendlyCli.create(relay.url, "carl"),
	]);
	await Promise.all([web.register(WEB), cli.register(CLI)]);
}, 120_000);
afterAll(async () => {
	await browser?.close();
	await relay?.close();
	await cli?.cleanup();
});

describe("browser ↔ CLI", () => {
	it("the browser writes first; the CLI receives it and the browser sees it delivered", async () => {
		await web.startChat(CLI);
		await web.send("Hello terminal, this is the browser");
		await web.expectStatus("Hello terminal, this is the browser", ["queued"]);
		const lines = await cli.json(["receive", "--timeout", "0"]);
		expect(lines).toContainEqual(
			expect.objectContaining({ type: "message", from: WEB, text: "Hello terminal, this is the browser" }),
		);
		await web.expectStatus("Hello terminal, this is the browser", ["delivered"]);
		// Both ends set the session up post-quantum (suite 2: ML-KEM-768 hybrid, padded, salted).
		expect(await cli.sessionSuites(WEB)).toEqual([2]);
		const webSuites = await web.page.evaluate(async (peer) => {
			const db = await new Promise<IDBDatabase>((resolve, reject) => {
				const request = indexedDB.open("friendly");
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			const record = await new Promise<unknown>((resolve, reject) => {
				const request = db.transaction("sessions").objectStore("sessions").get(peer);
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			db.close();
			const sessions: unknown = Reflect.get(Object(record), "sessions");
			return Array.isArray(sessions)
				? sessions.map((session) => Number(Reflect.get(Object(session), "suite")))
				: [];
		}, CLI);
		expect(webSuites).toEqual([2]);
	});

	it("the CLI answers; the browser shows it live", async () => {
		const [sent] = await cli.json(["send", WEB, "Hello browser, this is the terminal"]);
		expect(sent).toMatchObject({ ok: true, peer: WEB, status: "sent" });
		await web.incoming("Hello browser, this is the terminal").waitFor();
		await screenshotBoth(web.page, "interop-cli");
	});

	it("shows the same safety number in the browser and in the CLI", async () => {
		const [verified] = await cli.json(["verify", WEB]);
		const digits = await web.safetyDigits(CLI);
		expect(digits).toMatch(/^[0-9]{60}$/);
		expect(verified?.safetyNumber).toMatchObject({ digits });
		expect(web.pageErrors).toEqual([]);
	});

	it("a CLI user who writes first appears in the browser's list as a new conversation", async () => {
		const dave = await FriendlyCli.create(relay.url, "dave");
		try {
			await dave.register(CLI_FIRST);
			const [sent] = await dave.json(["send", WEB, "Hi, we have not talked before"]);
			expect(sent).toMatchObject({ ok: true, peer: WEB });
			await web.page.goto(`${relay.url}/#/`);
			await web.page.locator(`.conversation-item[data-phone="${CLI_FIRST}"][data-unread="1"]`).waitFor();
			await web.openChat(CLI_FIRST);
			await web.incoming("Hi, we have not talked before").waitFor();
			await web.send("Welcome, Dave");
			const lines = await dave.json(["receive", "--timeout", "0"]);
			expect(lines).toContainEqual(
				expect.objectContaining({ type: "message", from: WEB, text: "Welcome, Dave" }),
			);
			const [verified] = await dave.json(["verify", WEB]);
			expect(verified?.safetyNumber).toMatchObject({ digits: await web.safetyDigits(CLI_FIRST) });
		} finally {
			await dave.cleanup();
		}
	});
});
