// Registration attacks and abuse (issue 7) that the workerd tests (test/worker) do not already cover,
// end to end with real Messenger clients against the real relay: equivalent spellings of one phone
// number reaching one account, concurrent registrations of one phone, draining a phone's one-time
// prekeys through bundle fetches, and flooding a mailbox. The rest of the registration, token and
// socket attacks are proven in test/worker (see the map in docs/SECURITY.md).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RelayConnection, RelayHttpClient, RelayRequestError } from "../../protocol/client/index.ts";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import {
	completeRegistration,
	createMemoryMessengerStores,
	requestVerificationCode,
} from "../../protocol/messenger/index.ts";
import { MAX_LOCAL_ONE_TIME_PREKEYS } from "../../protocol/session/index.ts";
import {
	type Device,
	problemCodes,
	registerDevice,
	shown,
	spreadAddressFetch,
} from "../support/adversary-users.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { makeIdentity, type TestIdentity } from "../support/test-identity.ts";

const MAILBOX_MAX_MESSAGES = 10;
let relay: RunningRelay;

beforeAll(async () => {
	relay = await startRelay({ vars: { MAILBOX_MAX_MESSAGES: String(MAILBOX_MAX_MESSAGES) } });
});
afterAll(() => relay.close());

async function tokenOf(device: Device): Promise<string> {
	const account = await device.stores.account.loadAccount();
	if (!account) throw new Error("not registered");
	return account.token;
}

describe("registration", () => {
	it("equivalent spellings of one number reach one account and one conversation", async () => {
		const bob = await registerDevice(relay.url, "+1 (555) 557-0101");
		const alice = await registerDevice(relay.url, "+1 555 557 0102");
		expect(bob.phone).toBe("+15555570101");
		bob.messenger.start();
		alice.messenger.start();
		const spellings = ["+1 555 557 0101", "+15555570101", "+1-555-557-0101", "+1 (555) 557 0101"];
		for (const spelling of spellings) await alice.messenger.send(spelling, `to ${spelling}`);
		await bob.until((events) => shown(events).length === spellings.length, "every spelling's message");
		expect(shown(bob.events)).toEqual(spellings.map((s) => `to ${s}`));
		expect((await alice.messenger.contacts()).map((c) => c.phone)).toEqual([bob.phone]);
		// A code requested under another spelling is for the same account.
		const again = await requestVerificationCode(relay.url, "+1.555.557.0101", spreadAddressFetch());
		expect(again.phone).toBe(bob.phone);
		alice.messenger.stop();
		bob.messenger.stop();
	});

	it("phone A's code does not register phone B, and leaves both codes usable", async () => {
		const fetch = spreadAddressFetch();
		const a = "+1 555 557 0105";
		const b = "+1 555 557 0106";
		const codeA = (await requestVerificationCode(relay.url, a, fetch)).code ?? "";
		let codeB = (await requestVerificationCode(relay.url, b, fetch)).code ?? "";
		// Distinct codes (equal ones, 1 in a million, would make the attempt meaningless): ask again.
		for (let i = 0; i < 5 && codeB === codeA; i++)
			codeB = (await requestVerificationCode(relay.url, b, fetch)).code ?? "";
		expect(codeA).toMatch(/^[0-9]{6}$/);
		expect(codeB).not.toBe(codeA);
		const storesB = createMemoryMessengerStores();
		await expect(
			completeRegistration({
				relayUrl: relay.url,
				phone: b,
				code: codeA,
				stores: storesB,
				extractable: false,
				fetch,
			}),
		).rejects.toMatchObject({ code: "code_incorrect" });
		expect(await storesB.account.loadAccount()).toBeUndefined();
		const accountA = await completeRegistration({
			relayUrl: relay.url,
			phone: a,
			code: codeA,
			stores: createMemoryMessengerStores(),
			extractable: false,
			fetch,
		});
		const accountB = await completeRegistration({
			relayUrl: relay.url,
			phone: b,
			code: codeB,
			stores: storesB,
			extractable: false,
			fetch,
		});
		expect([accountA.phone, accountB.phone]).toEqual(["+15555570105", "+15555570106"]);
	});

	it("concurrent registrations of one phone from four devices leave exactly one working account", async () => {
		const phone = "+1 555 557 0110";
		const stores = Array.from({ length: 4 }, () => createMemoryMessengerStores());
		const outcomes = await Promise.allSettled(
			stores.map(async (store, i) => {
				const fetch = spreadAddressFetch();
				// Different spellings, too.
				const spelling = i % 2 === 0 ? phone : "+15555570110";
				const requested = await requestVerificationCode(relay.url, spelling, fetch);
				if (!requested.code) throw new Error("echo delivery expected");
				return completeRegistration({
					relayUrl: relay.url,
					phone: spelling,
					code: requested.code,
					stores: store,
					extractable: false,
					fetch,
				});
			}),
		);
		const http = new RelayHttpClient(relay.url);
		const working: number[] = [];
		for (const [i, outcome] of outcomes.entries()) {
			if (outcome.status !== "fulfilled") {
				expect(outcome.reason).toMatchObject({
					code: expect.stringMatching(/^(code_incorrect|code_expired)$/),
				});
				continue;
			}
			try {
				await http.prekeyStatus(outcome.value.token);
				working.push(i);
			} catch (error) {
				expect(error).toBeInstanceOf(RelayRequestError);
				expect(error).toMatchObject({ code: "unauthenticated" });
			}
		}
		expect(working).toHaveLength(1);
		// The directory serves the identity of the device that holds the account.
		const winner = stores[working[0] ?? -1];
		const identity = await winner?.identities.loadLocalIdentity();
		const asker = await registerDevice(relay.url, "+1 555 557 0111");
		const bundle = await http.fetchBundle(await tokenOf(asker), phone);
		expect(identity).toBeDefined();
		expect(bundle.phone).toBe("+15555570110");
		expect(bundle.identity.signingKey).toBe(identity ? encodeBase64Url(identity.signing.publicKey) : "");
	});
});

describe("abuse", () => {
	it("draining one-time prekeys is rate-limited per fetcher, and a session still works without them", async () => {
		const bob = await registerDevice(relay.url, "+1 555 557 0120");
		const bobToken = await tokenOf(bob);
		const http = new RelayHttpClient(relay.url);
		const initial = (await http.prekeyStatus(bobToken)).oneTimePrekeys;
		expect(initial).toBeGreaterThan(0);
		let fetched = 0;
		let limited = 0;
		for (
			let attacker = 0;
			attacker < 30 && (await http.prekeyStatus(bobToken)).oneTimePrekeys > 0;
			attacker++
		) {
			const mallory = await registerDevice(relay.url, `+1 555 557 ${String(2000 + attacker)}`);
			const token = await tokenOf(mallory);
			let thisAttacker = 0;
			for (let i = 0; i < 20; i++) {
				try {
					await http.fetchBundle(token, bob.phone);
					thisAttacker += 1;
				} catch (error) {
					expect(error).toMatchObject({ code: "rate_limited" });
					limited += 1;
					break;
				}
			}
			// Each fetcher gets a burst of 10 bundles, then rate_limited.
			expect(thisAttacker).toBeLessThanOrEqual(10);
			fetched += thisAttacker;
		}
		expect((await http.prekeyStatus(bobToken)).oneTimePrekeys).toBe(0);
		expect(fetched).toBeGreaterThanOrEqual(initial);
		expect(limited).toBeGreaterThan(0);
		// Bob is offline (no refill yet): Alice starts a session from a bundle without a one-time prekey.
		const alice = await registerDevice(relay.url, "+1 555 557 0121");
		alice.messenger.start();
		await alice.messenger.send(bob.phone, "no one-time prekey needed");
		bob.messenger.start();
		await bob.until((events) => shown(events).includes("no one-time prekey needed"), "the message");
		const reply = await bob.messenger.send(alice.phone, "and back");
		expect(reply.status).not.toBe("failed");
		await alice.until((events) => shown(events).includes("and back"), "the reply");
		// Once online, Bob's client refills its one-time prekeys.
		for (let i = 0; i < 100 && (await http.prekeyStatus(bobToken)).oneTimePrekeys === 0; i++)
			await new Promise((resolve) => setTimeout(resolve, 50));
		expect((await http.prekeyStatus(bobToken)).oneTimePrekeys).toBeGreaterThan(0);
		alice.messenger.stop();
		bob.messenger.stop();
	});

	it("repeated drains keep the client's one-time prekey private keys bounded, and a first message on a handed-out key still arrives", async () => {
		const bob = await registerDevice(relay.url, "+1 555 557 0140");
		const bobToken = await tokenOf(bob);
		const http = new RelayHttpClient(relay.url);
		// Fetchers only need an account (no keys of their own); each takes its burst of 10 bundles.
		const fetcherIdentity: TestIdentity = await makeIdentity();
		let fetchers = 0;
		const newFetcherToken = async () => {
			const phone = `+1 555 557 ${String(3000 + fetchers++)}`;
			const spread = spreadAddressFetch();
			const requested = await requestVerificationCode(relay.url, phone, spread);
			if (!requested.code) throw new Error("echo delivery expected");
			return (
				await new RelayHttpClient(relay.url, spread).confirmCode(
					phone,
					requested.code,
					fetcherIdentity.publicKeys,
				)
			).token;
		};
		const drainBob = async () => {
			while ((await http.prekeyStatus(bobToken)).oneTimePrekeys > 0) {
				const token = await newFetcherToken();
				for (let i = 0; i < 10; i++) await http.fetchBundle(token, bob.phone);
			}
		};
		const alice = await registerDevice(relay.url, "+1 555 557 0141");
		const cycles = 4;
		let generated = (await http.prekeyStatus(bobToken)).oneTimePrekeys;
		for (let cycle = 1; cycle <= cycles; cycle++) {
			if (cycle === cycles) {
				// Alice's first message takes one of Bob's one-time prekeys and waits in his mailbox.
				alice.messenger.start();
				expect((await alice.messenger.send(bob.phone, "on a handed-out prekey")).status).toBe("queued");
			}
			await drainBob();
			// What Bob's client does on every connect (and hourly): read the status, prune, refill.
			await bob.messenger.maintainPrekeys();
			expect(problemCodes(bob.events)).toEqual([]);
			const status = await http.prekeyStatus(bobToken);
			expect(status.oneTimePrekeys).toBeGreaterThan(0);
			generated += status.oneTimePrekeys;
			const local = new Set((await bob.stores.prekeys.listOneTimePrekeyStates()).map((s) => s.keyId));
			expect(local.size).toBeLessThanOrEqual(MAX_LOCAL_ONE_TIME_PREKEYS);
			for (const keyId of status.oneTimePrekeyIds) expect(local.has(keyId)).toBe(true);
		}
		// Without pruning Bob would hold every key he ever made.
		expect(generated).toBeGreaterThan(MAX_LOCAL_ONE_TIME_PREKEYS);
		expect(await bob.stores.prekeys.countOneTimePrekeys()).toBe(MAX_LOCAL_ONE_TIME_PREKEYS);
		// The key Alice used was handed out most recently, so it is among those kept: Bob reads her message.
		bob.messenger.start();
		await bob.until((events) => shown(events).includes("on a handed-out prekey"), "the first message");
		alice.messenger.stop();
		bob.messenger.stop();
		// About 40 registrations and 400 bundle fetches: allow for a loaded machine.
	}, 180_000);

	it("mailbox flooding: the cap holds, flooder and honest senders are told, stored mail survives and senders are resumed", async () => {
		const bob = await registerDevice(relay.url, "+1 555 557 0130");
		const alice = await registerDevice(relay.url, "+1 555 557 0131");
		const mallory = await registerDevice(relay.url, "+1 555 557 0132");
		alice.messenger.start();
		for (const text of ["honest 1", "honest 2", "honest 3"]) {
			expect((await alice.messenger.send(bob.phone, text)).status).toBe("queued");
		}
		// Mallory floods Bob's mailbox with junk envelopes over a raw connection.
		const flood = new RelayConnection({
			url: new RelayHttpClient(relay.url).connectUrl(mallory.phone),
			token: await tokenOf(mallory),
			handlers: { message: () => undefined },
		});
		flood.start();
		const junk = encodeBase64Url(new TextEncoder().encode("junk junk junk junk"));
		const answers: string[] = [];
		for (let i = 0; i < MAILBOX_MAX_MESSAGES + 5; i++) {
			const outcome = await flood.send(bob.phone, `flood${i}`, junk);
			answers.push(outcome.ok ? outcome.delivery : outcome.code);
		}
		expect(answers).toEqual([
			...Array.from({ length: MAILBOX_MAX_MESSAGES - 3 }, () => "queued"),
			...Array.from({ length: 8 }, () => "mailbox_full"),
		]);
		const refused = await alice.messenger.send(bob.phone, "honest 4");
		expect(refused.status).toBe("failed");
		expect(refused.error?.code).toBe("mailbox_full");
		// Bob drains his mailbox: the honest mail survived, the junk is reported and never shown.
		bob.messenger.start();
		await bob.until((events) => shown(events).length === 3, "the honest messages");
		await bob.messenger.waitForDrain();
		expect(shown(bob.events)).toEqual(["honest 1", "honest 2", "honest 3"]);
		expect(problemCodes(bob.events, mallory.phone)).toHaveLength(MAILBOX_MAX_MESSAGES - 3);
		// Refused senders hear that there is room again, and the resend goes through.
		await alice.until((events) => events.some((e) => e.type === "resume" && e.peer === bob.phone), "resume");
		await alice.messenger.send(bob.phone, "honest 4, again");
		await bob.until((events) => shown(events).includes("honest 4, again"), "the resent message");
		flood.stop();
		alice.messenger.stop();
		bob.messenger.stop();
	});
});
