// The trust lifecycle (issue 11), scenario 1 across clients: Bob uses the web app (real Chromium),
// Alice the real `friendly` CLI from two installs (profiles a1 and a2 in their own homes). Alice talks
// from a1, registers the number from a2 (Bob accepts the new key in the browser), then registers again
// from a1 — same identity keys — and writes on the session a1 still holds. Every message ends shown on
// Bob's page or marked "not delivered" in Alice's CLI history (never "delivered" while missing), the
// browser never calls install 1's message forged, and after one acceptance in the browser (and none
// in the CLI) the pair talks again both ways.
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { fileBrowser } from "./support/chromium.ts";
import { FriendlyCli } from "./support/cli.ts";
import { screenshot } from "./support/screenshots.ts";
import { WebUser } from "./support/web-user.ts";

const BOB = "+15555550451";
const ALICE = "+15555550452";
/** Rounds of `friendly receive` a notice or an automatic re-send may take (each is one process). */
const MAX_ROUNDS = 5;

let relay: RunningRelay;
let browser: Browser;
let bob: WebUser;
let a1: FriendlyCli;
let a2: FriendlyCli;

beforeAll(async () => {
	[relay, browser] = await Promise.all([startRelay(), fileBrowser()]);
	[bob, a1, a2] = await Promise.all([
		WebUser.open(browser, relay.url, "desktop"),
		FriendlyCli.create(relay.url, "a1"),
		FriendlyCli.create(relay.url, "a2"),
	]);
	await Promise.all([bob.register(BOB), a1.register(ALICE)]);
}, 120_000);
afterEach(async (context) => {
	if (context.task.result?.state !== "fail") return;
	await screenshot(bob.page, "failure-trust-lifecycle-web-bob").catch(() => undefined);
	console.log("bob page errors:", bob.pageErrors);
});
afterAll(async () => {
	await browser?.close();
	await relay?.close();
	await Promise.all([a1?.cleanup(), a2?.cleanup()]);
});

interface HistoryLine {
	id: string;
	direction: "in" | "out";
	text: string;
	status: string;
	error?: { code: string; reason?: string };
}

async function history(cli: FriendlyCli): Promise<HistoryLine[]> {
	const [result] = await cli.json(["history", BOB]);
	const messages = result?.messages;
	if (!Array.isArray(messages)) throw new Error(`no history: ${JSON.stringify(result)}`);
	return messages as HistoryLine[];
}

async function texts(cli: FriendlyCli): Promise<unknown[]> {
	const lines = await cli.json(["receive", "--timeout", "0"]);
	return lines.filter((line) => line.type === "message").map((line) => line.text);
}

/** How many times Bob's page shows `text` as an incoming message. */
function onPage(text: string): Promise<number> {
	return bob.page.locator(".message--in", { hasText: text }).count();
}

/** The notices Bob's page shows (problems reported by the messenger core). */
async function notices(): Promise<string[]> {
	return bob.page.locator(".notice").allTextContents();
}

async function poll(what: string, round: () => Promise<void>, done: () => Promise<boolean>): Promise<void> {
	for (let attempt = 0; attempt < MAX_ROUNDS; attempt++) {
		await round();
		if (await done()) return;
	}
	throw new Error(`${what}: not reached after ${MAX_ROUNDS} rounds`);
}

/** Each of Alice's messages is on Bob's page exactly once, or not delivered in her history. */
async function assertTruthful(cli: FriendlyCli, expectShown: string[]): Promise<void> {
	for (const sent of await history(cli)) {
		if (sent.direction !== "out") continue;
		const count = await onPage(sent.text);
		expect(count, `"${sent.text}" shown more than once`).toBeLessThanOrEqual(1);
		if (count === 0) {
			expect(sent.status, `"${sent.text}" is missing on Bob's page`).not.toBe("delivered");
			if (!expectShown.includes(sent.text) && sent.status === "failed")
				expect(sent.error?.code).toBe("not_delivered");
		}
	}
	for (const text of expectShown) expect(await onPage(text), `"${text}" on Bob's page`).toBe(1);
}

describe("CLI installs × web: the trust lifecycle", () => {
	it("install 1 comes back after install 2: every message shown or not delivered, and the pair talks again after one acceptance", async () => {
		await a1.json(["send", BOB, "hi from install 1"]);
		await bob.page.locator(`.conversation-item[data-phone="${ALICE}"]`).waitFor();
		await bob.openChat(ALICE);
		await bob.incoming("hi from install 1").waitFor();
		await bob.send("hi back");
		expect(await texts(a1)).toEqual(["hi back"]);

		// Install 2 takes the number; Bob compares and accepts its key in the browser.
		await a2.register(ALICE);
		await a2.json(["send", BOB, "hi from install 2"]);
		const keyChanged = bob.page.getByRole("heading", { name: "Safety number changed" });
		await keyChanged.waitFor();
		await bob.page.getByRole("button", { name: "Accept new key" }).click();
		await keyChanged.waitFor({ state: "detached" });
		await bob.incoming("hi from install 2").waitFor();

		// Install 1 registers again (its keys are kept) and writes on the session it still holds.
		await a1.register(ALICE);
		const [stale] = await a1.json(["send", BOB, "install 1 is back"]);
		expect(stale).toMatchObject({ ok: true });
		// The browser: a key change back to an earlier key of Alice's, held — not a forgery.
		await keyChanged.waitFor();
		expect(await onPage("install 1 is back")).toBe(0);
		expect(await bob.page.getByLabel("Message", { exact: true }).isDisabled()).toBe(true);
		expect((await notices()).join("\n")).not.toMatch(/signature check|forged/i);
		await assertTruthful(a1, ["hi from install 1"]);

		// Bob's one acceptance. Alice accepts nothing in the CLI: Bob's key never changed.
		await bob.page.getByRole("button", { name: "Accept new key" }).click();
		await keyChanged.waitFor({ state: "detached" });
		// The browser tells install 1 (a signed notice); install 1 re-sends over a new session.
		await poll(
			"install 1's message re-sent and shown in the browser",
			async () => {
				await a1.json(["receive", "--timeout", "0"]);
				await assertTruthful(a1, ["hi from install 1"]);
			},
			async () => {
				await bob
					.incoming("install 1 is back")
					.waitFor({ timeout: 2_000 })
					.catch(() => undefined);
				return (await onPage("install 1 is back")) > 0;
			},
		);
		await poll(
			"install 1 sees it delivered",
			async () => {
				await a1.json(["receive", "--timeout", "0"]);
			},
			async () => (await history(a1)).find((e) => e.id === stale?.id)?.status === "delivered",
		);

		// And the other way: the browser's reply reaches install 1, and shows delivered.
		await bob.send("welcome back, install 1");
		const replies: unknown[] = [];
		await poll(
			"the browser's reply at install 1",
			async () => {
				replies.push(...(await texts(a1)));
			},
			async () => replies.includes("welcome back, install 1"),
		);
		await bob.expectStatus("welcome back, install 1", ["delivered"]);

		// Every message of both installs: shown once, or not delivered (install 2's was shown).
		await assertTruthful(a1, ["hi from install 1", "install 1 is back"]);
		await assertTruthful(a2, ["hi from install 2"]);
		expect(await bob.page.getByRole("heading", { name: "Safety number changed" }).count()).toBe(0);
		expect((await notices()).join("\n")).not.toMatch(/signature check|forged/i);
		expect((await history(a1)).filter((e) => e.direction === "in").map((e) => e.text)).toEqual([
			"hi back",
			"welcome back, install 1",
		]);
		expect(bob.pageErrors).toEqual([]);
	});
});
