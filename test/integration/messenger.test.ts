// The shared client core (protocol/messenger) end to end against the real relay: registration, TOFU,
// live and offline chat both ways, receipts, key change gating, and forged envelopes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RelayConnection, RelayHttpClient } from "../../protocol/client/index.ts";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import {
	createMemoryMessengerStores,
	MessengerError,
	SEND_RETRY_WINDOW_MS,
} from "../../protocol/messenger/index.ts";
import { ONE_TIME_PREKEY_REFILL_THRESHOLD } from "../../protocol/session/index.ts";
import { received, registerUser } from "../support/messenger-user.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";

let relay: RunningRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay.close());

describe("messenger end to end", () => {
	it("chats both ways, live and offline, with receipts and matching safety numbers", async () => {
		const alice = await registerUser(relay.url, "+1 555 555 0201");
		const bob = await registerUser(relay.url, "+1 555 555 0202");
		alice.messenger.start();
		await alice.messenger.waitForDrain();

		const started = await alice.messenger.startChat(bob.phone);
		expect(started.verified).toBe(false);
		const chat = await alice.messenger.safetyNumber(bob.phone);
		expect(chat.safetyNumber.digits).toMatch(/^[0-9]{60}$/);

		const first = await alice.messenger.send(bob.phone, "hello bob (offline)");
		expect(first.status).toBe("queued");

		bob.messenger.start();
		await bob.until((events) => received(events).includes("hello bob (offline)"), "bob's offline message");
		await alice.until(
			(events) => events.some((e) => e.type === "status" && e.id === first.id && e.status === "delivered"),
			"delivery receipt",
		);

		const reply = await bob.messenger.send(alice.phone, "hi alice (live)");
		expect(reply.status).toBe("sent");
		await alice.until((events) => received(events).includes("hi alice (live)"), "alice's live message");

		const bobView = await bob.messenger.safetyNumber(alice.phone);
		expect(bobView.safetyNumber.digits).toBe(chat.safetyNumber.digits);
		await bob.messenger.markVerified(alice.phone);
		expect((await bob.messenger.safetyNumber(alice.phone)).verified).toBe(true);

		expect((await alice.messenger.history(bob.phone)).map((e) => [e.direction, e.text, e.status])).toEqual([
			["out", "hello bob (offline)", "delivered"],
			["in", "hi alice (live)", "received"],
		]);
		expect((await alice.messenger.contacts())[0]).toMatchObject({ phone: bob.phone, unread: 1 });
		alice.messenger.stop();
		bob.messenger.stop();
	});

	it("surfaces a changed identity key, blocks sending until accepted, then shows the held message", async () => {
		const carol = await registerUser(relay.url, "+1 555 555 0211");
		const dave = await registerUser(relay.url, "+1 555 555 0212");
		carol.messenger.start();
		dave.messenger.start();
		await dave.messenger.startChat(carol.phone);
		await dave.messenger.send(carol.phone, "before");
		await carol.until((events) => received(events).includes("before"), "first message");
		dave.messenger.stop();

		// Dave reinstalls: a new identity for the same phone.
		const newDave = await registerUser(relay.url, dave.phone);
		newDave.messenger.start();
		await newDave.messenger.startChat(carol.phone);
		await newDave.messenger.send(carol.phone, "after reinstall");
		await carol.until((events) => events.some((e) => e.type === "identity_changed"), "key change event");
		expect(received(carol.events)).not.toContain("after reinstall");

		await expect(carol.messenger.send(dave.phone, "blocked?")).rejects.toMatchObject({
			code: "untrusted_identity",
		});
		// What Carol compares before accepting is the number Dave's new install shows.
		const pending = await carol.messenger.pendingSafetyNumber(dave.phone);
		expect(pending?.digits).toBe((await newDave.messenger.safetyNumber(carol.phone)).safetyNumber.digits);
		await carol.messenger.acceptIdentityChange(dave.phone);
		await carol.until(
			(events) => received(events).includes("after reinstall"),
			"held message after accepting",
		);
		const sent = await carol.messenger.send(dave.phone, "welcome back");
		expect(["sent", "queued"]).toContain(sent.status);
		await newDave.until((events) => received(events).includes("welcome back"), "reply with the new key");
		carol.messenger.stop();
		newDave.messenger.stop();
	});

	it("discards a forged envelope and reports it, without showing anything", async () => {
		const erin = await registerUser(relay.url, "+1 555 555 0221");
		const frank = await registerUser(relay.url, "+1 555 555 0222");
		erin.messenger.start();
		await erin.messenger.waitForDrain();
		const token = (await frank.stores.account.loadAccount())?.token ?? "";
		const http = new RelayHttpClient(relay.url);
		const raw = new RelayConnection({
			url: http.connectUrl(frank.phone),
			token,
			handlers: { message: () => undefined },
		});
		raw.start();
		const forged = encodeBase64Url(new TextEncoder().encode('{"v":1,"not":"an envelope"}'));
		expect(await raw.send(erin.phone, "forged1", forged)).toMatchObject({ ok: true });
		await erin.until(
			(events) => events.some((e) => e.type === "problem" && e.peer === frank.phone),
			"problem event",
		);
		expect(received(erin.events)).toEqual([]);
		raw.stop();
		erin.messenger.stop();
	});

	it("rejects invalid numbers and unknown recipients with clear codes", async () => {
		const gina = await registerUser(relay.url, "+1 555 555 0231");
		gina.messenger.start();
		await expect(gina.messenger.startChat("12345")).rejects.toBeInstanceOf(MessengerError);
		await expect(gina.messenger.startChat("12345")).rejects.toMatchObject({ code: "invalid_phone" });
		const unknown = await gina.messenger.send("+1 555 555 0299", "anyone?");
		expect(unknown.status).toBe("failed");
		expect(unknown.error?.code).toBe("unknown_recipient");
		gina.messenger.stop();
	});

	it("resends a failed message under its id, once the recipient exists, and it is shown once", async () => {
		const hank = await registerUser(relay.url, "+1 555 555 0241");
		hank.messenger.start();
		const failed = await hank.messenger.send("+1 555 555 0242", "are you there yet?");
		expect(failed.error?.code).toBe("unknown_recipient");
		const ivy = await registerUser(relay.url, "+1 555 555 0242");
		const retried = await hank.messenger.resend(ivy.phone, failed.id);
		expect(retried).toMatchObject({ id: failed.id, status: "queued" });
		expect(retried.error).toBeUndefined();
		ivy.messenger.start();
		await ivy.until((events) => received(events).includes("are you there yet?"), "the resent message");
		expect((await hank.messenger.history(ivy.phone)).filter((entry) => entry.id === failed.id)).toHaveLength(
			1,
		);
		hank.messenger.stop();
		ivy.messenger.stop();
	});

	it("sends messages left unconfirmed by an earlier run again at start, under their id; fails one 24 hours old", async () => {
		const jill = await registerUser(relay.url, "+1 555 555 0251");
		const kate = await registerUser(relay.url, "+1 555 555 0252");
		kate.messenger.start();
		await jill.stores.contacts.storeContact({ v: 1, phone: kate.phone, unread: 0, lastAt: 1, lastText: "x" });
		const unconfirmed = {
			v: 1 as const,
			peer: kate.phone,
			direction: "out" as const,
			status: "sending" as const,
		};
		await jill.stores.history.storeEntry({
			...unconfirmed,
			id: "left-behind",
			text: "left behind",
			at: Date.now() - 1_000,
		});
		await jill.stores.history.storeEntry({
			...unconfirmed,
			id: "too-old",
			text: "too old",
			at: Date.now() - SEND_RETRY_WINDOW_MS - 1_000,
		});
		jill.messenger.start();
		await kate.until((events) => received(events).includes("left behind"), "the unconfirmed message at kate");
		await jill.until(
			(events) => events.some((e) => e.type === "status" && e.id === "too-old" && e.status === "failed"),
			"the 24-hour-old message marked failed",
		);
		expect(await jill.stores.history.loadEntry(kate.phone, "out", "too-old")).toMatchObject({
			status: "failed",
			error: { code: "relay_unreachable" },
		});
		expect((await kate.messenger.history(jill.phone)).map((e) => [e.id, e.text])).toEqual([
			["left-behind", "left behind"],
		]);
		jill.messenger.stop();
		kate.messenger.stop();
	});

	it("a message arriving while one is sent to the same contact keeps its unread count (slow stores)", async () => {
		const stores = createMemoryMessengerStores();
		// Slow contact writes and reads widen the window in which the send's and the receive's updates
		// of one contact record overlap (as on a loaded disk).
		const { contacts } = stores;
		const load = contacts.loadContact.bind(contacts);
		const store = contacts.storeContact.bind(contacts);
		const pause = () => new Promise((resolve) => setTimeout(resolve, 40));
		contacts.loadContact = async (phone) => {
			const found = await load(phone);
			await pause();
			return found;
		};
		contacts.storeContact = async (record) => {
			await pause();
			await store(record);
		};
		const uma = await registerUser(relay.url, "+1 555 555 0251", stores);
		const vic = await registerUser(relay.url, "+1 555 555 0252");
		vic.messenger.start();
		await vic.messenger.startChat(uma.phone);
		await vic.messenger.send(uma.phone, "while you were away");
		// Uma comes online and writes to Vic at once: the backlog and the send update Vic's contact together.
		uma.messenger.start();
		const sending = uma.messenger.send(vic.phone, "hello vic");
		await uma.until((events) => received(events).includes("while you were away"), "the backlog");
		await sending;
		expect((await uma.stores.contacts.loadContact(vic.phone))?.unread).toBe(1);
		uma.messenger.stop();
		vic.messenger.stop();
	});

	it("refills one-time prekeys once the relay's supply falls below the threshold, and the new ones work", async () => {
		// Its own relay: the dozen registrations below would otherwise share the 30-a-minute budget of
		// code requests per address with the rest of this file.
		const own = await startRelay();
		try {
			await refillScenario(own.url);
		} finally {
			await own.close();
		}
	});
});

async function refillScenario(relayUrl: string) {
	const http = new RelayHttpClient(relayUrl);
	const tokenOf = async (user: {
		stores: { account: { loadAccount(): Promise<{ token: string } | undefined> } };
	}) => {
		const account = await user.stores.account.loadAccount();
		if (!account) throw new Error("not registered");
		return account.token;
	};
	const rachel = await registerUser(relayUrl, "+1 555 555 0231");
	const rachelToken = await tokenOf(rachel);
	const initial = (await http.prekeyStatus(rachelToken)).oneTimePrekeys;
	expect(initial).toBeGreaterThanOrEqual(ONE_TIME_PREKEY_REFILL_THRESHOLD);
	// Each requester may take a burst of 10 bundles: enough requesters take the supply under the threshold.
	const drain = async (bundles: number, firstPhone: number) => {
		const requesters = Math.ceil(bundles / 10);
		let taken = 0;
		for (let i = 0; i < requesters; i++) {
			const requester = await registerUser(relayUrl, `+1 555 555 ${firstPhone + i}`);
			const token = await tokenOf(requester);
			for (let n = 0; n < 10 && taken < bundles; n++, taken++) {
				expect((await http.fetchBundle(token, rachel.phone)).oneTimePrekey).toBeDefined();
			}
		}
	};
	const toTake = initial - ONE_TIME_PREKEY_REFILL_THRESHOLD + 1;
	await drain(toTake, 2300);
	const low = (await http.prekeyStatus(rachelToken)).oneTimePrekeys;
	expect(low).toBe(ONE_TIME_PREKEY_REFILL_THRESHOLD - 1);
	// Coming online, the client sees the low supply and uploads fresh keys.
	rachel.messenger.start();
	await rachel.messenger.waitForDrain();
	const deadline = Date.now() + 10_000;
	let refilled = low;
	while (refilled === low && Date.now() < deadline) {
		await new Promise((resolve) => setTimeout(resolve, 100));
		refilled = (await http.prekeyStatus(rachelToken)).oneTimePrekeys;
	}
	expect(refilled).toBeGreaterThan(low);
	expect(refilled).toBeGreaterThanOrEqual(initial);
	// Take the old ones that are left, so the next contact gets one of the new keys.
	await drain(low, 2320);
	const probe = await registerUser(relayUrl, "+1 555 555 2340");
	const fresh = await http.fetchBundle(await tokenOf(probe), rachel.phone);
	expect(fresh.oneTimePrekey?.keyId ?? 0).toBeGreaterThan(initial);
	// A new contact's session starts on a refilled prekey, and Rachel (who holds its private key) reads it.
	const sam = await registerUser(relayUrl, "+1 555 555 2341");
	sam.messenger.start();
	await sam.messenger.waitForDrain();
	await sam.messenger.startChat(rachel.phone);
	await sam.messenger.send(rachel.phone, "hello on a fresh prekey");
	await rachel.until((events) => received(events).includes("hello on a fresh prekey"), "the message");
	rachel.messenger.stop();
	sam.messenger.stop();
}
