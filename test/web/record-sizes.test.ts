// What the browser keeps in IndexedDB after receiving the largest messages FriendLy allows: the pinned
// identity, the session and our identity must stay small. (Header fields used to be views into the
// received envelope, and a structured clone of a view stores its whole buffer: every record that kept
// a header key kept the whole envelope.) The sender is the shared messenger core in Node, the one the
// CLI runs; the recipient is the web app in Chromium. Each record's size is the sum of the byteLength
// of the distinct ArrayBuffers under it (a typed array counts its whole underlying buffer, as the
// structured clone stores it); CryptoKeys are opaque and not counted.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_TEXT_CHARS } from "../../protocol/messenger/content.ts";
import type { MessengerEvent } from "../../protocol/messenger/index.ts";
import { registerUser, type TestUser } from "../support/messenger-user.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { fileBrowser } from "./support/chromium.ts";
import { storedHistory } from "./support/stored-history.ts";
import { WebUser } from "./support/web-user.ts";

const HAL = "+15555550601";
const IVY = "+15555550602";
/** Every record of the session, pinned-identity and identity stores must stay below this. */
const RECORD_LIMIT = 64 * 1024;

/**
 * The largest text FriendLy sends: MAX_TEXT_CHARS characters of three UTF-8 bytes each (content version
 * 2 carries the text as raw UTF-8, docs/E2E-PROTOCOL.md §content; a code unit never takes more), about
 * 48 KB of plaintext, so each envelope is about 48 KB (about 64 K characters on the wire).
 */
function largestText(label: string): string {
	const prefix = `${label} `;
	return prefix + "\u4e00".repeat(MAX_TEXT_CHARS - prefix.length);
}

const FIRST = largestText("Large message one");
const SECOND = largestText("Large message two");

let relay: RunningRelay;
let browser: Browser;
let hal: WebUser;
let ivy: TestUser;
/** The largest frame Hal's page received over the relay WebSocket, in characters. */
let largestFrame = 0;

beforeAll(async () => {
	[relay, browser] = await Promise.all([
		// The relay's default envelope limit: the largest text fits it (that is the one limit, made true).
		startRelay(),
		fileBrowser(),
	]);
	hal = await WebUser.open(browser, relay.url, "desktop");
	hal.page.on("websocket", (socket) =>
		socket.on("framereceived", (frame) => {
			largestFrame = Math.max(largestFrame, frame.payload.length);
		}),
	);
	await hal.register(HAL);
	ivy = await registerUser(relay.url, IVY);
	ivy.messenger.start();
}, 120_000);
afterAll(async () => {
	ivy?.messenger.stop();
	await browser?.close();
	await relay?.close();
});

function received(events: MessengerEvent[]): string[] {
	return events.flatMap((event) => (event.type === "message" ? [event.entry.text] : []));
}

interface RecordSize {
	store: string;
	key: string;
	bytes: number;
	buffers: number;
}

describe("stored record sizes", () => {
	it("keeps the pin, the session and the identity small after receiving the largest messages", async () => {
		// First contact: a prekey message (the session is set up and Ivy's identity pinned from its header).
		const first = await ivy.messenger.send(HAL, FIRST);
		expect(["sent", "queued"]).toContain(first.status);
		await hal.page.locator(`.conversation-item[data-phone="${IVY}"]`).waitFor();
		await hal.openChat(IVY);
		await hal.incoming("Large message one").waitFor();
		// A reply, so that Ivy's next message starts a new ratchet step (a new key in its header).
		await hal.send("Got the large one");
		await ivy.until((events) => received(events).includes("Got the large one"), "Hal's reply");
		await ivy.messenger.send(HAL, SECOND);
		await hal.incoming("Large message two").waitFor();
		expect(largestFrame).toBeGreaterThan(60_000);

		const sizes: RecordSize[] = await hal.page.evaluate(
			async (stores) => {
				const db = await new Promise<IDBDatabase>((resolve, reject) => {
					const request = indexedDB.open("friendly");
					request.onsuccess = () => resolve(request.result);
					request.onerror = () => reject(request.error);
				});
				const records = async (store: string) =>
					new Promise<{ key: IDBValidKey; value: unknown }[]>((resolve, reject) => {
						const found: { key: IDBValidKey; value: unknown }[] = [];
						const request = db.transaction(store).objectStore(store).openCursor();
						request.onsuccess = () => {
							const cursor = request.result;
							if (!cursor) return resolve(found);
							found.push({ key: cursor.key, value: cursor.value });
							cursor.continue();
						};
						request.onerror = () => reject(request.error);
					});
				// The distinct buffers a structured clone of `value` stores.
				const buffersOf = (value: unknown, found: Set<ArrayBufferLike>, seen: Set<object>) => {
					if (typeof value !== "object" || value === null || seen.has(value)) return;
					seen.add(value);
					if (value instanceof ArrayBuffer) found.add(value);
					else if (ArrayBuffer.isView(value)) found.add(value.buffer);
					else if (value instanceof CryptoKey) return;
					else if (value instanceof Map)
						for (const [key, item] of value) {
							buffersOf(key, found, seen);
							buffersOf(item, found, seen);
						}
					else if (value instanceof Set) for (const item of value) buffersOf(item, found, seen);
					else for (const item of Object.values(value)) buffersOf(item, found, seen);
				};
				const sizes: RecordSize[] = [];
				for (const store of stores) {
					for (const { key, value } of await records(store)) {
						const found = new Set<ArrayBufferLike>();
						buffersOf(value, found, new Set());
						const bytes = [...found].reduce((sum, buffer) => sum + buffer.byteLength, 0);
						sizes.push({ store, key: JSON.stringify(key), bytes, buffers: found.size });
					}
				}
				db.close();
				return sizes;
			},
			["sessions", "trusted", "local"],
		);

		console.log(
			`largest frame received: ${largestFrame} characters\n` +
				sizes
					.map((size) => `${size.store} ${size.key}: ${size.bytes} bytes in ${size.buffers} buffers`)
					.join("\n"),
		);
		expect(sizes.find((size) => size.store === "sessions" && size.key === JSON.stringify(IVY))).toBeDefined();
		expect(sizes.find((size) => size.store === "trusted" && size.key === JSON.stringify(IVY))).toBeDefined();
		expect(sizes.find((size) => size.store === "local" && size.key === '"identity"')).toBeDefined();
		for (const size of sizes) expect(size.bytes, `${size.store} ${size.key}`).toBeLessThan(RECORD_LIMIT);

		// Each large message is in the history once.
		const incoming = (await storedHistory(hal.page)).filter(
			(entry) => entry.peer === IVY && entry.direction === "in",
		);
		const counts = [FIRST, SECOND].map((text) => incoming.filter((entry) => entry.text === text).length);
		expect(counts).toEqual([1, 1]);
		expect(hal.pageErrors).toEqual([]);
	});
});
