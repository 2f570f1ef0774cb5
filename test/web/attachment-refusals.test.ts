// Sending files from the browser, and the files the relay refuses, in Chromium against the real relay (R2 in
// miniflare) with the real `friendly` CLI as the other side. The relay is configured small so nothing big
// has to move: blobs kept 3 seconds (ATTACHMENT_RETENTION_SECONDS, the relay's own expiry check), 1 file a
// day per phone, 1 MiB per file. Checked: the progress bar follows the encryption and then the upload
// itself (upload throttled through the DevTools protocol so it takes a while), announced politely at the
// start and the end; a quota refusal says when it resets; a file over the relay's limit is refused with the
// limit; a picture from the CLI (which draws no thumbnail) is a placeholder card with its name, size and a
// View button; an expired blob says so and shows nothing. Each state: axe in light and dark at phone and
// desktop widths, and screenshots.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { expectAccessible } from "./support/axe.ts";
import { fileBrowser } from "./support/chromium.ts";
import { FriendlyCli } from "./support/cli.ts";
import { screenshot, screenshotBoth } from "./support/screenshots.ts";
import { WebUser } from "./support/web-user.ts";

const WEB = "+15555550281";
const CLI = "+15555550282";
const MiB = 1024 * 1024;
const RETENTION_MS = 3000;

let relay: RunningRelay;
let browser: Browser;
let web: WebUser;
let cli: FriendlyCli;
let files: string;

beforeAll(async () => {
	[relay, browser] = await Promise.all([
		startRelay({
			vars: {
				ATTACHMENT_RETENTION_SECONDS: String(RETENTION_MS / 1000),
				ATTACHMENTS_PER_DAY: "1",
				ATTACHMENT_MAX_BYTES: String(MiB),
				ATTACHMENT_BYTES_PER_DAY: String(2 * MiB),
			},
		}),
		fileBrowser(),
	]);
	[web, cli] = await Promise.all([
		WebUser.open(browser, relay.url, "desktop"),
		FriendlyCli.create(relay.url, "rhea"),
	]);
	files = await mkdtemp(join(tmpdir(), "friendly-web-refusals-"));
	await Promise.all([web.register(WEB), cli.register(CLI)]);
	await web.startChat(CLI);
}, 120_000);
afterAll(async () => {
	await browser?.close();
	await relay?.close();
	await cli?.cleanup();
	if (files) await rm(files, { recursive: true, force: true });
});

const composerError = () => web.page.locator(".composer .form-error");

describe("sending files and the relay's refusals, in the browser", () => {
	it("the progress bar follows the encryption, then the upload; the start and the end are announced", async () => {
		const page = web.page;
		// Every state of the bar, as the page shows it.
		await page.evaluate(() => {
			const seen: string[] = [];
			(window as unknown as { progressSeen: string[] }).progressSeen = seen;
			new MutationObserver(() => {
				const bar = document.querySelector(".composer [role=progressbar]");
				const label = document.getElementById("composer-upload-label")?.textContent ?? "";
				const status = document.querySelector(".composer [role=status]")?.textContent ?? "";
				const state = `${label.trim()}|${bar?.getAttribute("aria-valuenow") ?? "-"}|${status}`;
				if (seen.at(-1) !== state) seen.push(state);
			}).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
		});
		// 400 KB at 200 KB/s: the upload takes about two seconds, so its progress shows.
		const cdp = await page.context().newCDPSession(page);
		await cdp.send("Network.emulateNetworkConditions", {
			offline: false,
			latency: 0,
			downloadThroughput: -1,
			uploadThroughput: 200_000,
		});
		try {
			await page.locator("#composer-file").setInputFiles({
				name: "sketch.bin",
				mimeType: "application/octet-stream",
				buffer: Buffer.alloc(400_000, 5),
			});
			await page.getByText("Uploading sketch.bin").waitFor();
			await screenshot(page, "desktop-attachment-uploading");
			const outgoing = page.locator(".message--out", { hasText: "sketch.bin" });
			await outgoing.waitFor();
			await expect.poll(() => page.locator(".composer [role=status]").textContent()).toBe("sketch.bin sent.");
		} finally {
			await cdp.send("Network.emulateNetworkConditions", {
				offline: false,
				latency: 0,
				downloadThroughput: -1,
				uploadThroughput: -1,
			});
		}
		const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
		const states = seen.map((line) => line.split("|"));
		const uploading = states
			.filter(([label]) => label === "Uploading sketch.bin")
			.map(([, value]) => Number(value));
		// Announced at the start, with the bar.
		expect(states[0]).toEqual(["Encrypting sketch.bin", "0", "Sending sketch.bin."]);
		// Encryption finishes before the upload starts; the upload reports several steps, up to 100.
		const firstUpload = states.findIndex(([label]) => label === "Uploading sketch.bin");
		expect(firstUpload).toBeGreaterThan(0);
		expect(states.slice(0, firstUpload).every(([label]) => label === "Encrypting sketch.bin")).toBe(true);
		expect(uploading.length).toBeGreaterThan(2);
		expect(uploading).toEqual([...uploading].sort((a, b) => a - b));
		expect(uploading.at(-1)).toBe(100);
		expect(states.at(-1)).toEqual(["", "-", "sketch.bin sent."]);
	});

	it("a second file the same day: refused, saying when the quota resets", async () => {
		await web.page.locator("#composer-file").setInputFiles({
			name: "another.txt",
			mimeType: "text/plain",
			buffer: Buffer.from("one too many"),
		});
		await composerError().waitFor();
		expect(await composerError().textContent()).toMatch(
			/^You have sent as many files today as this relay allows\. The quota resets in (\d+ hours?( \d+ minutes?)?|\d+ minutes|\d+ seconds)\.$/,
		);
		expect(await web.page.locator(".message--out", { hasText: "another.txt" }).count()).toBe(0);
		await expectAccessible(web.page, "conversation with a quota refusal");
		await screenshotBoth(web.page, "attachment-quota-refused");
	});

	it("a file over the relay's limit: refused with the limit, nothing sent", async () => {
		await web.page.locator("#composer-file").setInputFiles({
			name: "big.bin",
			mimeType: "application/octet-stream",
			buffer: Buffer.alloc(1.5 * MiB, 1),
		});
		await expect.poll(() => composerError().textContent()).toBe("too large: limit 1 MB per file.");
		expect(await web.page.locator(".message--out", { hasText: "big.bin" }).count()).toBe(0);
	});

	it("a picture from the CLI has no thumbnail: a placeholder card; once expired, View says so and shows nothing", async () => {
		const path = join(files, "harbour.png");
		await writeFile(path, Buffer.alloc(30_000, 9));
		const [sent] = await cli.json(["send", WEB, "--file", path, "the harbour"]);
		const sentAt = Date.now();
		expect(sent).toMatchObject({ ok: true, attachment: { name: "harbour.png", contentType: "image/png" } });
		const message = web.incoming("the harbour");
		await message.waitFor();
		await expect
			.poll(() => message.locator(".attachment-placeholder").textContent())
			.toBe("Picture, no preview");
		expect(await message.locator(".attachment-name").textContent()).toBe("harbour.png");
		expect(await message.locator(".attachment-meta").textContent()).toBe("30.0 KB · image/png");
		const view = message.getByRole("button", { name: "View harbour.png, 30.0 KB, image/png" });
		await view.waitFor();
		await expectAccessible(web.page, "conversation with a picture without a preview");
		await screenshotBoth(web.page, "attachment-picture-placeholder");

		await new Promise((resolve) =>
			setTimeout(resolve, Math.max(0, sentAt + RETENTION_MS + 500 - Date.now())),
		);
		await view.click();
		const alert = message.getByRole("alert");
		await alert.waitFor();
		expect(await alert.textContent()).toBe(
			"Expired: the relay keeps files for 30 days. Ask the sender to send it again.",
		);
		expect(await message.locator("img").count()).toBe(0);
		await expectAccessible(web.page, "conversation with an expired file");
		await screenshotBoth(web.page, "attachment-expired");
		expect(web.pageErrors).toEqual([]);
	});
});
