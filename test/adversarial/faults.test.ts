// Faults (issue 7): nothing lost, nothing shown twice. The relay is a real `wrangler dev` process on
// persisted state, killed with SIGKILL and restarted on the same state and port (which also evicts
// every Durable Object and cuts every socket at once, so all clients reconnect in a storm); a
// recipient crashes after showing a message and before acknowledging it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OutgoingStatus } from "../../protocol/messenger/index.ts";
import { type Device, registerDevice, shown } from "../support/adversary-users.ts";
import { type MitmRelay, startMitmRelay } from "../support/mitm-relay.ts";
import { freePort, startWranglerDev, type WranglerDev } from "../support/wrangler-dev.ts";

const RELAY_VARS = { CODE_RESEND_INTERVAL_SECONDS: "0", CODES_PER_HOUR: "100" };
/** A send may wait this long across a relay restart before it is reported failed. */
const SEND_TIMEOUT_MS = 45_000;

let persistTo: string;
let port: number;
let relay: WranglerDev;
let relayUrl: string;
let phoneCounter = 0;

beforeAll(async () => {
	persistTo = await mkdtemp(join(tmpdir(), "friendly-faults-"));
	port = await freePort();
	relay = await startWranglerDev({ vars: RELAY_VARS, persistTo, port });
	relayUrl = relay.url;
}, 90_000);

afterAll(async () => {
	await relay.stop("SIGTERM");
	await rm(persistTo, { recursive: true, force: true });
}, 30_000);

async function crashAndRestartRelay(): Promise<void> {
	await relay.stop("SIGKILL");
	// Really gone: nothing answers on its port until the new process is up.
	await expect(fetch(`${relayUrl}/healthz`)).rejects.toThrow();
	relay = await startWranglerDev({ vars: RELAY_VARS, persistTo, port });
}

function nextPhone(): string {
	phoneCounter += 1;
	return `+1 555 555 ${String(7500 + phoneCounter)}`;
}

function device(url = relayUrl): Promise<Device> {
	return registerDevice(url, nextPhone(), { sendTimeoutMs: SEND_TIMEOUT_MS });
}

function finalStatus(sender: Device, id: string): OutgoingStatus | undefined {
	let status: OutgoingStatus | undefined;
	for (const event of sender.events) if (event.type === "status" && event.id === id) status = event.status;
	return status;
}

describe("faults", () => {
	it("the relay SIGKILLed in the middle of a burst and restarted: every acknowledged message is shown exactly once, every other one is reported failed or resent", async () => {
		const alice = await device();
		const bob = await device();
		alice.messenger.start();
		bob.messenger.start();
		await alice.messenger.startChat(bob.phone);
		const burst = 40;
		const texts = Array.from({ length: burst }, (_, i) => `burst ${i}`);
		let killed: Promise<void> | null = null;
		const sending = (async () => {
			const inFlight = new Set<Promise<void>>();
			for (const text of texts) {
				const send = alice.messenger.send(bob.phone, text).then(() => undefined);
				inFlight.add(send);
				void send.finally(() => inFlight.delete(send));
				if (inFlight.size >= 4) await Promise.race(inFlight);
				const acknowledged = alice.events.filter(
					(e) => e.type === "status" && (e.status === "sent" || e.status === "queued"),
				).length;
				if (!killed && acknowledged >= burst / 4) killed = crashAndRestartRelay();
			}
			await Promise.all(inFlight);
		})();
		await sending;
		if (!killed) throw new Error("the burst finished before the relay was killed");
		await killed;
		const history = await alice.messenger.history(bob.phone);
		expect(history).toHaveLength(burst);
		const acknowledged = history.filter(
			(e) => e.status === "sent" || e.status === "queued" || e.status === "delivered",
		);
		const failed = history.filter((e) => e.status === "failed");
		expect(acknowledged.length + failed.length).toBe(burst);
		await bob.until(
			(events) => acknowledged.every((entry) => shown(events).includes(entry.text)),
			"every acknowledged message",
			60_000,
		);
		await alice.messenger.send(bob.phone, "after the crash");
		await bob.until(
			(events) => shown(events).includes("after the crash"),
			"the message after the crash",
			60_000,
		);
		const texts_shown = shown(bob.events);
		for (const text of [...texts, "after the crash"])
			expect(texts_shown.filter((t) => t === text).length, text).toBeLessThanOrEqual(1);
		for (const entry of acknowledged) expect(texts_shown).toContain(entry.text);
		for (const entry of failed) expect(entry.error?.code).toMatch(/^(connection_lost|relay_unreachable)$/);
		console.log(
			`SIGKILL mid-burst: ${burst} sent, ${acknowledged.length} acknowledged (all shown once), ` +
				`${failed.length} reported failed (${failed.filter((e) => texts_shown.includes(e.text)).length} of them arrived anyway), 0 shown twice`,
		);
		alice.messenger.stop();
		bob.messenger.stop();
	}, 180_000);

	describe("a recipient that crashes", () => {
		let mitm: MitmRelay;
		beforeAll(async () => {
			mitm = await startMitmRelay(relayUrl);
		});
		afterAll(() => mitm.close());

		it("after showing a message and before acknowledging it: redelivered on restart, shown once", async () => {
			const alice = await device(mitm.url);
			const bob = await device(mitm.url);
			alice.messenger.start();
			bob.messenger.start();
			await alice.messenger.startChat(bob.phone);
			// The crash: bob's acks never leave the device.
			let acksLost = 0;
			mitm.clientFrames = (text, connection) => {
				if (connection.phone === bob.phone && text.includes('"type":"ack"')) {
					acksLost += 1;
					return [];
				}
				return undefined;
			};
			const sent = await alice.messenger.send(bob.phone, "shown, then crash");
			await bob.until((events) => shown(events).includes("shown, then crash"), "the message");
			// The ack leaves after the handler finished (ack-after-save); wait until the crash swallowed it.
			for (let i = 0; i < 100 && acksLost === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
			expect(finalStatus(alice, sent.id)).toBe("sent");
			// Restart on the same stores; the relay still holds the message and delivers it again.
			mitm.clientFrames = null;
			await bob.restart();
			await alice.until(
				(events) => finalStatus(alice, sent.id) === "delivered" && events.length > 0,
				"the receipt after the redelivery was acknowledged",
			);
			await alice.messenger.send(bob.phone, "after restart");
			await bob.until((events) => shown(events).includes("after restart"), "the next message");
			expect(acksLost).toBeGreaterThan(0);
			expect(shown(bob.events)).toEqual(["shown, then crash", "after restart"]);
			expect((await bob.messenger.history(alice.phone)).map((e) => e.text)).toEqual([
				"shown, then crash",
				"after restart",
			]);
			alice.messenger.stop();
			bob.messenger.stop();
		});

		it("after decrypting and before saving: redelivered, decrypted again and shown once", async () => {
			// The messenger saves inside decryptMessage's save hook, before the session state (the message
			// key) is committed, so a crash in between leaves the envelope decryptable on redelivery.
			const alice = await device(mitm.url);
			const bob = await device(mitm.url);
			const save = bob.stores.history.storeEntry.bind(bob.stores.history);
			let crashes = 0;
			bob.stores.history.storeEntry = async (entry) => {
				if (entry.direction === "in" && crashes === 0) {
					crashes += 1;
					throw new Error("the app died here");
				}
				return save(entry);
			};
			alice.messenger.start();
			bob.messenger.start();
			await alice.messenger.send(bob.phone, "decrypted, never saved");
			for (let i = 0; i < 200 && crashes === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
			expect(crashes).toBe(1);
			await bob.restart();
			await alice.messenger.send(bob.phone, "the next one");
			await bob.until((events) => shown(events).includes("the next one"), "the next message");
			expect(shown(bob.events)).toEqual(["decrypted, never saved", "the next one"]);
			expect((await bob.messenger.history(alice.phone)).map((e) => e.text)).toEqual([
				"decrypted, never saved",
				"the next one",
			]);
			alice.messenger.stop();
			bob.messenger.stop();
		});
	});
});
