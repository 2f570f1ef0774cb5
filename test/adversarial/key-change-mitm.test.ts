// A malicious relay fakes a key change (issue 11): a man in the middle (test/support/mitm-relay.ts) in
// front of the real relay injects into Bob's connection a session-setup message "from Alice", built
// and signed with an identity of its own (the real protocol library on memory stores, one of Bob's
// real bundles fetched through the relay). Bob's client must treat it as a key change — held, never
// shown — while the real Alice's messages on her pinned session keep arriving; after Bob rejects it,
// nothing the attacker sends is ever shown or asked about again, every message of the real Alice is
// shown exactly once (none lost as old_message), and Bob can write to Alice again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RelayHttpClient } from "../../protocol/client/index.ts";
import { encodeText, type MessengerEvent } from "../../protocol/messenger/index.ts";
import {
	bodyKind,
	createLocalIdentity,
	createMemoryStores,
	createProtocolContext,
	encryptMessage,
	type ProtocolContext,
	publicIdentity,
} from "../../protocol/session/index.ts";
import type { PrekeyBundle } from "../../protocol/wire/index.ts";
import { type Device, problemCodes, registerDevice, shown } from "../support/adversary-users.ts";
import { type MitmRelay, startMitmRelay } from "../support/mitm-relay.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";

let relay: RunningRelay;
let mitm: MitmRelay;

beforeAll(async () => {
	relay = await startRelay();
	mitm = await startMitmRelay(relay.url);
});
afterAll(async () => {
	await mitm?.close();
	await relay?.close();
});

/** The relay's own "Alice": a fresh identity on memory stores, claiming Alice's phone number. */
async function impostor(phone: string): Promise<ProtocolContext> {
	const stores = createMemoryStores();
	await stores.identities.storeLocalIdentity(await createLocalIdentity({ extractable: false }));
	return createProtocolContext({ phone, stores });
}

/** One of `phone`'s real bundles, taken from the relay with a token the relay saw (`asker`'s). */
async function realBundle(asker: Device, phone: string): Promise<PrekeyBundle> {
	const account = await asker.stores.account.loadAccount();
	if (!account) throw new Error("not registered");
	return new RelayHttpClient(relay.url).fetchBundle(account.token, phone);
}

let injectedSeq = 910_000;

/** Pushes a message frame the relay made up into `to`'s live connection(s). */
function inject(to: Device, frame: { from: string; id: string; body: string }): void {
	const connections = mitm.connections(to.phone);
	expect(connections.length).toBeGreaterThan(0);
	injectedSeq += 1;
	for (const connection of connections)
		connection.toClient(JSON.stringify({ type: "message", seq: injectedSeq, sentAt: Date.now(), ...frame }));
}

function statusOf(events: MessengerEvent[], id: string): string | undefined {
	let status: string | undefined;
	for (const event of events) if (event.type === "status" && event.id === id) status = event.status;
	return status;
}

function keyChanges(events: MessengerEvent[]): number {
	return events.filter((event) => event.type === "identity_changed").length;
}

describe("a relay that fakes a key change with an identity of its own", () => {
	it("is held as a key change, never shown; the real sender's session keeps working; after a reject nothing of the attacker shows and nothing of the real sender is lost", async () => {
		const alice = await registerDevice(mitm.url, "+1 555 555 0501");
		const bob = await registerDevice(mitm.url, "+1 555 555 0502");
		alice.messenger.start();
		bob.messenger.start();
		await alice.messenger.startChat(bob.phone);
		const genuine: string[] = [];
		const sendGenuine = async (text: string) => {
			genuine.push(text);
			const entry = await alice.messenger.send(bob.phone, text);
			await bob.until((events) => shown(events).includes(text), `"${text}" at bob`);
			return entry;
		};
		await sendGenuine("one, before the attack");
		await bob.messenger.waitForDrain();
		const pinnedNumber = (await bob.messenger.safetyNumber(alice.phone)).safetyNumber.digits;

		// What Bob's client sends: delivery notices (to the claimed sender) and discards of held frames.
		const notices: { to: string }[] = [];
		const discarded: number[] = [];
		mitm.clientFrames = (text, connection) => {
			if (connection.phone !== bob.phone) return undefined;
			const frame: unknown = JSON.parse(text);
			if (typeof frame !== "object" || frame === null) return undefined;
			const { type, to, body, seqs } = frame as Record<string, unknown>;
			if (
				type === "send" &&
				typeof body === "string" &&
				bodyKind(body) === "notice" &&
				typeof to === "string"
			)
				notices.push({ to });
			if (type === "discard" && Array.isArray(seqs)) discarded.push(...seqs.map(Number));
			return undefined;
		};

		// The attacker's session-setup message, signed by its own identity, injected with a fresh seq.
		const mallory = await impostor(alice.phone);
		const bundle = await realBundle(alice, bob.phone);
		const forge = (id: string, text: string) =>
			encryptMessage(mallory, {
				to: bob.phone,
				id,
				plaintext: encodeText(text, Date.now()),
				fetchBundle: async () => bundle,
			});
		inject(bob, { from: alice.phone, id: "forged-1", body: await forge("forged-1", "INJECTED: trust me") });
		const firstSeq = injectedSeq;
		await bob.until((events) => keyChanges(events) === 1, "a key change at bob");
		const change = bob.events.find((e) => e.type === "identity_changed");
		expect(change?.type === "identity_changed" && change.change.current.signingKey).toBe(
			publicIdentity(await mallory.localIdentity()).signingKey,
		);
		// The number to compare is the attacker's, different from the pinned one, which is unchanged.
		expect((await bob.messenger.pendingSafetyNumber(alice.phone))?.digits).not.toBe(pinnedNumber);
		expect((await bob.messenger.safetyNumber(alice.phone)).safetyNumber.digits).toBe(pinnedNumber);

		// While it is pending: the real Alice's messages (her pinned session, still carrying the prekey
		// header since Bob has not answered yet) arrive and are shown; sending to Alice is blocked.
		await sendGenuine("two, while the change is pending");
		await sendGenuine("three, still pending");
		await expect(bob.messenger.send(alice.phone, "blocked")).rejects.toMatchObject({
			code: "untrusted_identity",
		});
		expect(shown(bob.events).filter((text) => text.startsWith("INJECTED"))).toEqual([]);

		// Bob rejects: the held frame is dropped (discarded, with a signed notice to the claimed sender),
		// and the attacker's key is not pinned.
		expect(discarded).toEqual([]);
		await bob.messenger.rejectIdentityChange(alice.phone);
		await bob.until(() => discarded.includes(firstSeq), "the held frame discarded");
		expect(notices).toEqual([{ to: alice.phone }]);
		expect((await bob.messenger.safetyNumber(alice.phone)).safetyNumber.digits).toBe(pinnedNumber);
		const contact = (await bob.messenger.contacts()).find((c) => c.phone === alice.phone);
		expect(contact?.pendingIdentityChange).toBeUndefined();
		expect(contact?.rejectedIdentityChange?.current.signingKey).toBe(
			publicIdentity(await mallory.localIdentity()).signingKey,
		);

		// Later attempts signed by the rejected key are dropped without asking again: another session
		// setup, and a follow-up on the attacker's session (no prekey header: the pinned key does not
		// verify it).
		inject(bob, { from: alice.phone, id: "forged-2", body: await forge("forged-2", "INJECTED: again") });
		const secondSeq = injectedSeq;
		await sendGenuine("four, after the reject");
		await bob.until(() => discarded.includes(secondSeq), "the second forged frame discarded");
		expect(notices).toHaveLength(2);
		const reply = await bob.messenger.send(alice.phone, "bob writes again");
		expect(reply.status).not.toBe("failed");
		await alice.until((events) => shown(events).includes("bob writes again"), "bob's reply at alice");
		await bob.until((events) => statusOf(events, reply.id) === "delivered", "bob's reply delivered");
		// A follow-up on the attacker's session, as if Bob had answered it (no prekey header): no session
		// of Bob's has its id, and the pinned key does not verify it.
		const attackerRecord = await mallory.stores.sessions.loadSessionRecord(bob.phone);
		const attackerSession = attackerRecord?.sessions[0];
		if (!attackerSession) throw new Error("the attacker has no session");
		attackerSession.pendingPrekey = null;
		const followUp = await forge("forged-3", "INJECTED: follow-up");
		inject(bob, { from: alice.phone, id: "forged-3", body: followUp });
		const thirdSeq = injectedSeq;
		await sendGenuine("five, after the follow-up");
		// Not authenticated by any key of Alice's: reported as a forgery, discarded, no notice.
		await bob.until(() => discarded.includes(thirdSeq), "the follow-up discarded");
		expect(problemCodes(bob.events, alice.phone)).toContain("bad_signature");
		expect(notices).toHaveLength(2);
		mitm.clientFrames = null;

		expect(keyChanges(bob.events)).toBe(1);
		expect(shown(bob.events).filter((text) => text.startsWith("INJECTED"))).toEqual([]);
		// Every message of the real Alice shown exactly once, in order, and delivered at her side.
		expect(shown(bob.events)).toEqual(genuine);
		const bobHistory = await bob.messenger.history(alice.phone);
		expect(bobHistory.filter((e) => e.direction === "in").map((e) => e.text)).toEqual(genuine);
		expect(bobHistory.some((e) => e.text.startsWith("INJECTED"))).toBe(false);
		expect(problemCodes(bob.events, alice.phone)).not.toContain("old_message");
		// Nor one that Bob could not show and asked Alice's app to send again (a signed delivery notice).
		expect(problemCodes(bob.events, alice.phone)).not.toContain("resend_requested");
		for (const sent of await alice.messenger.history(bob.phone)) {
			if (sent.direction !== "out") continue;
			await alice.until((events) => statusOf(events, sent.id) === "delivered", `"${sent.text}" delivered`);
		}
		// The real Alice saw no key change for Bob and nothing marked not delivered.
		expect(keyChanges(alice.events)).toBe(0);
		expect(
			alice.events.filter((e) => e.type === "status" && e.status === "failed").map((e) => e.type),
		).toEqual([]);
		alice.messenger.stop();
		bob.messenger.stop();
	});
});
