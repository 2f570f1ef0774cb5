// Files between the browser and the CLI (the real `friendly` process) through the real relay with
// miniflare's R2: CLI → web (a download card with name, size and type; the downloaded bytes identical)
// and web → CLI (the attach button, upload progress, `receive --save-dir` saving identical bytes). The
// conversation with file cards is checked with axe in light and dark at phone and desktop widths, and
// screenshotted. The digest and every chunk are checked by the shared code before anything is offered: a
// blob changed on its way to the browser is refused as damaged.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { expectAccessible } from "./support/axe.ts";
import { fileBrowser } from "./support/chromium.ts";
import { FriendlyCli } from "./support/cli.ts";
import { screenshotBoth } from "./support/screenshots.ts";
import { WebUser } from "./support/web-user.ts";

const WEB = "+15555550271";
const CLI = "+15555550272";

let relay: RunningRelay;
let browser: Browser;
let web: WebUser;
let cli: FriendlyCli;
let files: string;

beforeAll(async () => {
	[relay, browser] = await Promise.all([startRelay(), fileBrowser()]);
	[web, cli] = await Promise.all([
		WebUser.open(browser, relay.url, "desktop"),
		FriendlyCli.create(relay.url, "fran"),
	]);
	files = await mkdtemp(join(tmpdir(), "friendly-web-files-"));
	await Promise.all([web.register(WEB), cli.register(CLI)]);
}, 120_000);
afterAll(async () => {
	await browser?.close();
	await relay?.close();
	await cli?.cleanup();
	if (files) await rm(files, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const bytesOf = (length: number, seed: number) =>
	Buffer.from(Array.from({ length }, (_, i) => (i * seed + 3) & 0xff));

describe("files between the browser and the CLI", () => {
	it("CLI → web: a download card; the downloaded file is byte for byte what was sent", async () => {
		const bytes = bytesOf(150_000, 17);
		const path = join(files, "minutes.pdf");
		await writeFile(path, bytes);
		await web.startChat(CLI);
		const [sent] = await cli.json(["send", WEB, "--file", path, "the minutes"]);
		expect(sent).toMatchObject({ ok: true, attachment: { name: "minutes.pdf", size: bytes.length } });
		const message = web.incoming("the minutes");
		await message.waitFor();
		await expect.poll(() => message.locator(".attachment-name").textContent()).toBe("minutes.pdf");
		expect(await message.locator(".attachment-meta").textContent()).toContain("150.0 KB · application/pdf");
		const [download] = await Promise.all([
			web.page.waitForEvent("download"),
			message.getByRole("button", { name: /^Download minutes\.pdf/ }).click(),
		]);
		expect(download.suggestedFilename()).toBe("minutes.pdf");
		const saved = join(files, "from-browser.pdf");
		await download.saveAs(saved);
		expect(sha256(await readFile(saved))).toBe(sha256(bytes));
	});

	it("web → CLI: attach, upload, and the CLI saves identical bytes", async () => {
		const bytes = bytesOf(220_000, 29);
		await web.page.locator("#composer-file").setInputFiles({
			name: "sketch.bin",
			mimeType: "application/octet-stream",
			buffer: bytes,
		});
		const outgoing = web.page.locator(".message--out", { hasText: "sketch.bin" });
		await outgoing.waitFor();
		await expect.poll(() => outgoing.getAttribute("data-status")).toMatch(/^(sent|queued|delivered)$/);
		const saveDir = join(files, "cli-downloads");
		const lines = await cli.json(["receive", "--timeout", "0", "--save-dir", saveDir]);
		const saved = lines.find((line) => line.type === "attachment");
		expect(saved).toMatchObject({ status: "saved", from: WEB, name: "sketch.bin", size: bytes.length });
		expect(sha256(await readFile(join(saveDir, "sketch.bin")))).toBe(sha256(bytes));
	});

	it("a picture dropped on the composer: a thumbnail inline, a click shows the full picture", async () => {
		// A real PNG, drawn by the page's own canvas.
		const png = await web.page.evaluate(async () => {
			const canvas = new OffscreenCanvas(400, 300);
			const context = canvas.getContext("2d");
			if (!context) throw new Error("no 2d context");
			context.fillStyle = "#1f5fd6";
			context.fillRect(0, 0, 400, 300);
			context.fillStyle = "#ffd200";
			context.fillRect(100, 75, 200, 150);
			const blob = await canvas.convertToBlob({ type: "image/png" });
			return Array.from(new Uint8Array(await blob.arrayBuffer()));
		});
		const drop = await web.page.evaluateHandle((bytes) => {
			const transfer = new DataTransfer();
			transfer.items.add(new File([new Uint8Array(bytes)], "sunset.png", { type: "image/png" }));
			return transfer;
		}, png);
		await web.page.dispatchEvent(".composer", "dragover", { dataTransfer: drop });
		await web.page.dispatchEvent(".composer", "drop", { dataTransfer: drop });
		const outgoing = web.page.locator(".message--out", { hasText: "sunset.png" });
		await outgoing.waitFor();
		const thumbnail = outgoing.getByRole("button", {
			name: /sunset\.png \(preview; select to view the full picture\)/,
		});
		await thumbnail.waitFor();
		await thumbnail.click();
		const full = outgoing.locator("img.attachment-picture");
		await full.waitFor();
		expect(await full.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([
			400, 300,
		]);
		// The CLI receives the same bytes.
		const saveDir = join(files, "cli-pictures");
		const lines = await cli.json(["receive", "--timeout", "0", "--save-dir", saveDir]);
		expect(lines.find((line) => line.type === "attachment")).toMatchObject({
			status: "saved",
			name: "sunset.png",
		});
		expect(sha256(await readFile(join(saveDir, "sunset.png")))).toBe(sha256(Uint8Array.from(png)));
	});

	it("a file over the limit is refused before upload, saying the limit", async () => {
		// Made in the page (sending 26 MB through the DevTools protocol would be slow), dropped on the composer.
		const drop = await web.page.evaluateHandle(() => {
			const transfer = new DataTransfer();
			transfer.items.add(new File([new Uint8Array(26 * 1024 * 1024)], "huge.bin"));
			return transfer;
		});
		await web.page.dispatchEvent(".composer", "drop", { dataTransfer: drop });
		const alert = web.page.locator(".composer .form-error");
		await alert.waitFor();
		expect(await alert.textContent()).toMatch(/^too large: limit 25 MB \(this file is 26 MB\)\.$/);
		expect(await web.page.locator(".message--out", { hasText: "huge.bin" }).count()).toBe(0);
	});

	it("a blob changed on its way to the browser: Damaged, nothing offered", async () => {
		const path = join(files, "contract.pdf");
		await writeFile(path, bytesOf(40_000, 41));
		await cli.json(["send", WEB, "--file", path, "the contract"]);
		const message = web.incoming("the contract");
		await message.waitFor();
		// The relay's answer with one bit flipped in the middle (what a tampering relay or network would do).
		await web.page.route("**/v1/attachments/*", async (route) => {
			const response = await route.fetch();
			const body = Buffer.from(await response.body());
			body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0x01;
			await route.fulfill({ response, body });
		});
		try {
			let downloads = 0;
			web.page.on("download", () => downloads++);
			await message.getByRole("button", { name: /^Download contract\.pdf/ }).click();
			const alert = message.getByRole("alert");
			await alert.waitFor();
			expect(await alert.textContent()).toBe(
				"Damaged: it does not match what was sent. Nothing was saved; ask the sender to send it again.",
			);
			expect(downloads).toBe(0);
			await expectAccessible(web.page, "conversation with a damaged file");
			await screenshotBoth(web.page, "attachment-damaged");
		} finally {
			await web.page.unroute("**/v1/attachments/*");
		}
	});

	it("the conversation with file cards meets WCAG 2.1 AA, light and dark, phone and desktop", async () => {
		await expectAccessible(web.page, "conversation with files");
		await screenshotBoth(web.page, "attachments-conversation");
		expect(web.pageErrors).toEqual([]);
	});
});
