// The web client's IndexedDB PrekeyStore under one-time prekey pruning (docs/E2E-PROTOCOL.md §Prekeys),
// in a real Chromium with the tab's write fence claimed: marks are committed, a key a message used during
// the prune is never re-created, a marked key is still a usable non-extractable key, and 30 days later
// only the keys the relay holds are left; suite 2's one-time KEM prekeys, kept in the same object store,
// follow the same rules without ever mixing with the EC ones. The store code is bundled with esbuild and served from
// 127.0.0.1 (WebCrypto needs a secure context).
import type { Server } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleForBrowser, serveBundle } from "../support/browser-bundle.ts";
import { fileBrowser } from "./support/chromium.ts";
import type { PrekeyStoreResult } from "./support/prekey-store-entry.ts";

const here = dirname(fileURLToPath(import.meta.url));
let server: Server | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
	server = await serveBundle(
		await bundleForBrowser(resolve(here, "support/prekey-store-entry.ts")),
		"prekey store",
	);
	browser = await fileBrowser();
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
});

describe("IndexedDB prekey store", () => {
	it("marks, keeps and deletes one-time prekeys as pruning says, and never re-creates a used one", async () => {
		const address = server?.address();
		if (!browser || !address || typeof address === "string") throw new Error("no browser or server");
		const page = await browser.newPage();
		const errors: string[] = [];
		page.on("pageerror", (error) => errors.push(error.message));
		await page.goto(`http://127.0.0.1:${address.port}/`);
		await page.waitForFunction(() => globalThis.__prekeyStoreResult !== undefined, undefined, {
			timeout: 30_000,
		});
		const result: PrekeyStoreResult | undefined = await page.evaluate(() => globalThis.__prekeyStoreResult);
		await page.close();
		expect(errors).toEqual([]);
		expect(result?.error).toBeUndefined();
		expect(result).toEqual({
			// The relay lists 3 and 4: 2 is marked; 1, used by a message meanwhile, stays deleted.
			statesAfterMarking: [{ keyId: 2, goneSince: 10_000 }, { keyId: 3 }, { keyId: 4 }],
			key1AfterRace: false,
			key2GoneSince: 10_000,
			key2Extractable: false,
			key2Derives: true,
			idsAfterRetention: [3, 4],
			// Suite 2's KEM prekeys share the object store (database version 1) under their own keys.
			kemStatesAfterMarking: [{ keyId: 2, goneSince: 10_000 }, { keyId: 3 }],
			kemKey2Decapsulates: true,
			kemIdsAfterRetention: [3],
			oneTimeCountAfterRetention: 2,
		});
	});
});
