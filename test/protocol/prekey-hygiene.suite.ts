// Key hygiene of one-time prekeys (docs/E2E-PROTOCOL.md §Prekeys): the private halves of keys the relay
// no longer holds are kept ONE_TIME_PREKEY_GONE_RETENTION_MS (a first message on one may wait that long
// in the mailbox), then deleted, and never more than MAX_LOCAL_ONE_TIME_PREKEYS are held however often
// other accounts drain the relay's supply. A simulated relay (same rules as worker/phone/key-directory.ts:
// at most 200 held, the lowest id handed out first, the status lists the held ids) and a manual clock.

import {
	createLocalIdentity,
	createMemoryStores,
	createProtocolContext,
	decryptMessage,
	deserializeOneTimePrekey,
	encryptMessage,
	generateOneTimePrekeys,
	MAX_LOCAL_ONE_TIME_PREKEYS,
	type MemoryStores,
	manualClock,
	ONE_TIME_PREKEY_GONE_RETENTION_MS,
	oneTimePrekeyState,
	type ProtocolContext,
	prepareKeyUpload,
	pruneOneTimePrekeys,
	publicIdentity,
	type RelayPrekeyStatus,
	serializeOneTimePrekey,
} from "../../protocol/session/index.ts";
import {
	MAX_ONE_TIME_PREKEYS_HELD,
	type OneTimePrekey,
	type PrekeyBundle,
	type SignedPrekey,
} from "../../protocol/wire/keys.ts";
import { requireE164 } from "../../protocol/wire/phone.ts";
import { PHONES, text, untext } from "./fixtures.ts";
import { assert, assertEqual, assertRejects, type Suite } from "./harness.ts";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** One phone's key directory entry on the relay, with the relay's rules. */
class SimulatedRelay {
	signedPrekey: SignedPrekey | undefined;
	readonly held = new Map<number, OneTimePrekey>();

	constructor(readonly identity: ReturnType<typeof publicIdentity>) {}

	status(): RelayPrekeyStatus {
		const ids = [...this.held.keys()].sort((a, b) => a - b);
		return {
			oneTimePrekeys: ids.length,
			oneTimePrekeyIds: ids,
			signedPrekeyId: this.signedPrekey?.keyId ?? null,
		};
	}

	upload(upload: { signedPrekey?: SignedPrekey; oneTimePrekeys: OneTimePrekey[] }): void {
		if (upload.signedPrekey) this.signedPrekey = upload.signedPrekey;
		for (const prekey of upload.oneTimePrekeys) this.held.set(prekey.keyId, prekey);
		if (this.held.size > MAX_ONE_TIME_PREKEYS_HELD) throw new Error("prekey_limit");
	}

	/** A bundle as GET /v1/keys/:phone gives it: the lowest held one-time prekey, removed. */
	bundle(phone: string): PrekeyBundle {
		if (!this.signedPrekey) throw new Error("not_registered");
		const lowest = Math.min(...this.held.keys());
		const oneTimePrekey = this.held.get(lowest);
		this.held.delete(lowest);
		return {
			phone: requireE164(phone),
			identity: this.identity,
			signedPrekey: this.signedPrekey,
			...(oneTimePrekey ? { oneTimePrekey } : {}),
		};
	}

	/** Other accounts fetch bundles until none has a one-time prekey left; returns the ids taken. */
	drain(phone: string): number[] {
		const taken: number[] = [];
		while (this.held.size > 0) {
			const keyId = this.bundle(phone).oneTimePrekey?.keyId;
			if (keyId !== undefined) taken.push(keyId);
		}
		return taken;
	}
}

interface Owner {
	readonly phone: string;
	readonly stores: MemoryStores;
	readonly context: ProtocolContext;
	readonly clock: ReturnType<typeof manualClock>;
	readonly relay: SimulatedRelay;
	/** What the client does on connect (Messenger.maintainPrekeys): status, prepare, upload. */
	maintain(): Promise<void>;
}

async function makeOwner(phone: string, clock = manualClock(Date.UTC(2026, 2, 1))): Promise<Owner> {
	const stores = createMemoryStores();
	const identity = await createLocalIdentity({ extractable: true, clock });
	await stores.identities.storeLocalIdentity(identity);
	const context = createProtocolContext({ phone, stores, clock });
	const relay = new SimulatedRelay(publicIdentity(identity));
	const owner: Owner = {
		phone,
		stores,
		context,
		clock,
		relay,
		maintain: async () => {
			const upload = await prepareKeyUpload(context, relay.status());
			if (upload) relay.upload(upload);
		},
	};
	await owner.maintain();
	return owner;
}

async function localIds(owner: Owner): Promise<Set<number>> {
	return new Set((await owner.stores.prekeys.listOneTimePrekeyStates()).map((state) => state.keyId));
}

async function goneSince(owner: Owner, keyId: number): Promise<number | undefined> {
	return (await owner.stores.prekeys.loadOneTimePrekey(keyId))?.goneSince;
}

async function assertRelayKeysHeld(owner: Owner, label: string): Promise<void> {
	const local = await localIds(owner);
	for (const keyId of owner.relay.held.keys()) {
		assert(local.has(keyId), `${label}: key ${keyId} is on the relay and must be kept`);
		assertEqual(
			await goneSince(owner, keyId),
			undefined,
			`${label}: key ${keyId} on the relay is not marked`,
		);
	}
}

/** A first message from a new contact, on a bundle taken from the owner's relay entry. */
async function firstMessageTo(owner: Owner, fromPhone: string, plaintext: string, bundle: PrekeyBundle) {
	const sender = createMemoryStores();
	await sender.identities.storeLocalIdentity(await createLocalIdentity({ extractable: true }));
	const context = createProtocolContext({ phone: fromPhone, stores: sender, clock: owner.clock });
	const id = `first-${fromPhone.slice(-4)}`;
	const body = await encryptMessage(context, {
		to: owner.phone,
		id,
		plaintext: text(plaintext),
		fetchBundle: async () => bundle,
	});
	return { from: fromPhone, id, body };
}

export const prekeyHygieneSuite: Suite = {
	name: "prekey hygiene",
	cases: {
		"one-time prekeys missing from the relay are kept for 30 days, then deleted": async () => {
			const bob = await makeOwner(PHONES.bob);
			assertEqual((await localIds(bob)).size, 100, "first upload");
			const handedOut = [0, 1, 2, 3, 4].map(() => bob.relay.bundle(bob.phone).oneTimePrekey?.keyId ?? -1);
			const seen = bob.clock.now() + HOUR;
			bob.clock.set(seen);
			await bob.maintain();
			assertEqual((await localIds(bob)).size, 100, "handed-out keys are kept");
			for (const keyId of handedOut)
				assertEqual(await goneSince(bob, keyId), seen, `key ${keyId} marked gone`);
			await assertRelayKeysHeld(bob, "after marking");

			// Seen missing again later: the mark keeps the first time.
			bob.clock.set(seen + ONE_TIME_PREKEY_GONE_RETENTION_MS - 1);
			await bob.maintain();
			assertEqual((await localIds(bob)).size, 100, "still kept one millisecond before 30 days");
			for (const keyId of handedOut) assertEqual(await goneSince(bob, keyId), seen, "first time kept");

			bob.clock.set(seen + ONE_TIME_PREKEY_GONE_RETENTION_MS);
			await bob.maintain();
			const local = await localIds(bob);
			assertEqual(local.size, 95, "deleted after 30 days");
			for (const keyId of handedOut) assert(!local.has(keyId), `key ${keyId} deleted`);
			await assertRelayKeysHeld(bob, "after deleting");
		},

		"the cap holds after 10 drains: at most 400 local keys, every key on the relay kept, the latest handed out kept":
			async () => {
				const bob = await makeOwner(PHONES.bob);
				let lastDrain: number[] = [];
				for (let drain = 1; drain <= 10; drain++) {
					bob.clock.advance(HOUR);
					lastDrain = bob.relay.drain(bob.phone);
					assert(lastDrain.length > 0, `drain ${drain} took keys`);
					await bob.maintain();
					const local = await localIds(bob);
					assert(
						local.size <= MAX_LOCAL_ONE_TIME_PREKEYS,
						`drain ${drain}: ${local.size} local keys, at most ${MAX_LOCAL_ONE_TIME_PREKEYS}`,
					);
					assert(bob.relay.held.size > 0, `drain ${drain}: refilled`);
					await assertRelayKeysHeld(bob, `drain ${drain}`);
				}
				// Ten drains made 100 + 10 × 100 keys; without the cap all 1,100 would still be held.
				assertEqual((await localIds(bob)).size, MAX_LOCAL_ONE_TIME_PREKEYS, "full, not more");
				const local = await localIds(bob);
				for (const keyId of lastDrain) assert(local.has(keyId), `key ${keyId} of the last drain kept`);
				// What goes first are the keys gone longest: none from the first drains is left.
				assert(!local.has(1), "the first key, gone longest, was deleted");

				// A month later every handed-out key has expired: only the relay's are left.
				bob.clock.advance(ONE_TIME_PREKEY_GONE_RETENTION_MS);
				await bob.maintain();
				assertEqual((await localIds(bob)).size, bob.relay.held.size, "only the relay's keys after 30 days");
				await assertRelayKeysHeld(bob, "a month later");
			},

		"keys generated in the same call are kept, though the status does not list them yet": async () => {
			const bob = await makeOwner(PHONES.bob);
			bob.relay.drain(bob.phone);
			const status = bob.relay.status();
			assertEqual(status.oneTimePrekeyIds.length, 0, "drained");
			const upload = await prepareKeyUpload(bob.context, status);
			assert(upload && upload.oneTimePrekeys.length === 100, "a refill");
			for (const prekey of upload.oneTimePrekeys) {
				assertEqual(await goneSince(bob, prekey.keyId), undefined, `new key ${prekey.keyId} not marked`);
			}
			// Read before that upload landed, a stale status marks them; the next one clears the mark.
			await pruneOneTimePrekeys(bob.context, status.oneTimePrekeyIds);
			const newest = upload.oneTimePrekeys[0]?.keyId ?? -1;
			assertEqual(await goneSince(bob, newest), bob.clock.now(), "marked by the stale status");
			bob.relay.upload(upload);
			const pruned = await pruneOneTimePrekeys(bob.context, bob.relay.status().oneTimePrekeyIds);
			assertEqual(pruned.restored, 100, "marks cleared");
			assertEqual(await goneSince(bob, newest), undefined, "listed again: not gone");
		},

		"a first message on a handed-out key still decrypts within 30 days, and fails after": async () => {
			const bob = await makeOwner(PHONES.bob);
			const early = await firstMessageTo(bob, PHONES.alice, "sent on day 0", bob.relay.bundle(bob.phone));
			const late = await firstMessageTo(bob, PHONES.carol, "sent on day 0 too", bob.relay.bundle(bob.phone));
			await bob.maintain();
			bob.clock.advance(29 * DAY);
			await bob.maintain();
			const opened = await decryptMessage(bob.context, early);
			assertEqual(untext(opened.plaintext), "sent on day 0", "decrypted on day 29 with a gone key");
			bob.clock.advance(DAY);
			await bob.maintain();
			await assertRejects(
				() => decryptMessage(bob.context, late),
				"unknown_prekey",
				"key deleted after 30 days",
			);
		},

		"marking never re-creates a key a message used meanwhile": async () => {
			const bob = await makeOwner(PHONES.bob);
			const [first, second] = [...(await localIds(bob))];
			assert(first !== undefined && second !== undefined, "keys");
			await bob.stores.prekeys.removeOneTimePrekey(first);
			await bob.stores.prekeys.setOneTimePrekeysGoneSince([
				{ keyId: first, goneSince: 5 },
				{ keyId: second, goneSince: 5 },
			]);
			assertEqual(await bob.stores.prekeys.loadOneTimePrekey(first), undefined, "used key stays deleted");
			assertEqual(await goneSince(bob, second), 5, "held key marked");
		},

		"serialised one-time prekeys keep goneSince, and records without it still load": async () => {
			const identity = await createLocalIdentity({ extractable: true });
			const { records } = await generateOneTimePrekeys(identity, 7, 1, 1_000);
			const record = records[0];
			assert(record, "a record");
			const old = await serializeOneTimePrekey(record);
			assert(!old.includes("goneSince"), "no field while on the relay (as before pruning existed)");
			const loadedOld = await deserializeOneTimePrekey(old);
			assertEqual(loadedOld.goneSince, undefined, "old record loads");
			assertEqual(oneTimePrekeyState(old).goneSince, undefined, "old record's state");
			const gone = await serializeOneTimePrekey({ ...record, goneSince: 2_000 });
			assertEqual((await deserializeOneTimePrekey(gone)).goneSince, 2_000, "round trip");
			assertEqual(oneTimePrekeyState(gone).goneSince, 2_000, "state without importing the key");
			assertEqual(oneTimePrekeyState(gone).keyId, 7, "state's id");
		},
	},
};
