// Functional behaviour of the session layer: setup, ordering, prekeys, trust, safety numbers,
// serialisation and per-peer serialisation.

import {
	createLocalIdentity,
	createMemoryStores,
	createProtocolContext,
	decryptMessage,
	deserializeLocalIdentity,
	deserializeOneTimePrekey,
	deserializeSessionRecord,
	deserializeSignedPrekey,
	deserializeTrustedIdentity,
	encryptMessage,
	getTrustedIdentity,
	hasSession,
	isProtocolError,
	MAX_SKIP,
	markIdentityVerified,
	publicIdentity,
	refillOneTimePrekeys,
	resetSession,
	rotateSignedPrekey,
	SIGNED_PREKEY_RETENTION_MS,
	SIGNED_PREKEY_ROTATION_MS,
	safetyNumber,
	safetyNumberMatchesQr,
	safetyNumberWith,
	serializeLocalIdentity,
	serializeOneTimePrekey,
	serializeSessionRecord,
	serializeSignedPrekey,
	serializeTrustedIdentity,
	trustIdentity,
} from "../../protocol/session/index.ts";
import {
	clock,
	Directory,
	makeParty,
	nextId,
	type Party,
	PHONES,
	receive,
	send,
	text,
	untext,
} from "./fixtures.ts";
import { assert, assertEqual, assertRejects, type Suite } from "./harness.ts";

async function pair(options: { extractable?: boolean; oneTimePrekeys?: boolean } = {}) {
	const directory = new Directory();
	const alice = await makeParty(PHONES.alice, directory, options);
	const bob = await makeParty(PHONES.bob, directory, options);
	return { directory, alice, bob };
}

async function converse(a: Party, b: Party, rounds: number, label: string): Promise<void> {
	for (let i = 0; i < rounds; i++) {
		const m1 = await send(a, b, `${label} a->b ${i}`);
		assertEqual(await receive(b, m1), m1.plaintext, "b reads a");
		const m2 = await send(b, a, `${label} b->a ${i}`);
		assertEqual(await receive(a, m2), m2.plaintext, "a reads b");
	}
}

async function recordText(party: Party, peer: string): Promise<string> {
	const record = await party.stores.sessions.loadSessionRecord(peer);
	return record ? serializeSessionRecord(record) : "none";
}

export const sessionSuite: Suite = {
	name: "session",
	cases: {
		"offline handshake from a bundle, then a ratcheting conversation": async () => {
			const { alice, bob } = await pair();
			assert(!(await hasSession(alice.context, bob.phone)), "no session before the first message");
			const first = await send(alice, bob, "hello bob");
			const result = await decryptMessage(bob.context, first);
			assertEqual(untext(result.plaintext), "hello bob", "first message");
			assert(result.sessionCreated && result.identityPinned, "bob set up a session and pinned alice");
			await converse(alice, bob, 4, "conv");
			const record = await alice.stores.sessions.loadSessionRecord(bob.phone);
			assertEqual(record?.sessions.length, 1, "one session each");
			assertEqual(record?.sessions[0]?.pendingPrekey, null, "prekey header dropped after the reply");
		},

		"works without a one-time prekey": async () => {
			const { alice, bob } = await pair({ oneTimePrekeys: false });
			const first = await send(alice, bob, "no otk");
			assertEqual(await receive(bob, first), "no otk", "decrypts");
			await converse(bob, alice, 2, "no-otk");
		},

		"a one-time prekey is deleted after use and cannot be used twice": async () => {
			const directory = new Directory();
			const alice = await makeParty(PHONES.alice, directory);
			const bob = await makeParty(PHONES.bob, directory);
			const carol = await makeParty(PHONES.carol, directory);
			const bundle = directory.bundle(bob.phone);
			const otkId = bundle.oneTimePrekey?.keyId;
			assert(otkId !== undefined, "bundle has a one-time prekey");
			const body1 = await encryptMessage(alice.context, {
				to: bob.phone,
				id: "a1",
				plaintext: text("one"),
				fetchBundle: async () => bundle,
			});
			// A misbehaving relay hands the same one-time prekey to carol too.
			const body2 = await encryptMessage(carol.context, {
				to: bob.phone,
				id: "c1",
				plaintext: text("two"),
				fetchBundle: async () => ({ ...bundle }),
			});
			assertEqual(await receive(bob, { from: alice.phone, id: "a1", body: body1 }), "one", "first use works");
			assert((await bob.stores.prekeys.loadOneTimePrekey(otkId)) === undefined, "private key deleted");
			await assertRejects(
				() => receive(bob, { from: carol.phone, id: "c1", body: body2 }),
				"unknown_prekey",
				"second use",
			);
		},

		"out-of-order and lost messages each decrypt exactly once": async () => {
			const { alice, bob } = await pair();
			await converse(alice, bob, 1, "warm");
			const sent = [];
			for (let i = 0; i < 6; i++) sent.push(await send(alice, bob, `burst ${i}`));
			for (const index of [4, 2, 0, 5, 3]) {
				const message = sent[index];
				assert(message, "message exists");
				assertEqual(await receive(bob, message), message.plaintext, `message ${index}`);
			}
			// message 1 is lost; the conversation goes on across ratchet steps
			await converse(bob, alice, 2, "after loss");
			const late = sent[1];
			assert(late, "late message");
			assertEqual(await receive(bob, late), late.plaintext, "a lost message arriving late still decrypts");
			await assertRejects(() => receive(bob, late), "duplicate", "and only once");
		},

		"first messages repeat the prekey header until the reply, so losing the first is fine": async () => {
			const { alice, bob } = await pair();
			const m0 = await send(alice, bob, "zero");
			const m1 = await send(alice, bob, "one");
			const m2 = await send(alice, bob, "two");
			assertEqual(await receive(bob, m2), "two", "third message sets up the session");
			assertEqual(await receive(bob, m0), "zero", "first from skipped keys");
			await converse(bob, alice, 1, "reply");
			assertEqual(await receive(bob, m1), "one", "second, after the reply");
		},

		"simultaneous initiation keeps both sessions and converges": async () => {
			const { alice, bob } = await pair();
			const a = await send(alice, bob, "from alice");
			const b = await send(bob, alice, "from bob");
			assertEqual(await receive(bob, a), "from alice", "bob reads alice");
			assertEqual(await receive(alice, b), "from bob", "alice reads bob");
			await converse(alice, bob, 3, "after race");
			await converse(bob, alice, 3, "after race 2");
		},

		"a save hook that fails commits nothing: the same envelope decrypts again": async () => {
			const { alice, bob } = await pair();
			const first = await send(alice, bob, "save me");
			let saved = "";
			const crash = decryptMessage(bob.context, {
				...first,
				save: async () => {
					throw new Error("the app died before saving");
				},
			});
			let crashed = false;
			try {
				await crash;
			} catch (error) {
				crashed = !isProtocolError(error);
			}
			assert(crashed, "the save failure propagates as the app's own error");
			await decryptMessage(bob.context, {
				...first,
				save: async (plaintext) => {
					saved = new TextDecoder().decode(plaintext);
				},
			});
			assertEqual(saved, "save me", "redelivery decrypts and saves");
			await assertRejects(() => receive(bob, first), "duplicate", "and only once");
			await converse(alice, bob, 2, "after the crash");
		},

		"a replay is reported as duplicate and never shown twice": async () => {
			const { alice, bob } = await pair();
			const first = await send(alice, bob, "once");
			assertEqual(await receive(bob, first), "once", "first delivery");
			await assertRejects(() => receive(bob, first), "duplicate", "redelivered prekey message");
			await converse(alice, bob, 1, "x");
			const later = await send(alice, bob, "later");
			assertEqual(await receive(bob, later), "later", "delivery");
			await assertRejects(() => receive(bob, later), "duplicate", "replayed follow-up");
		},

		"a replayed setup message is never accepted twice, even after a reset and id eviction": async () => {
			const { alice, bob } = await pair({ oneTimePrekeys: false });
			const first = await send(alice, bob, "only once");
			assertEqual(await receive(bob, first), "only once", "first delivery");
			await resetSession(bob.context, alice.phone);
			await assertRejects(() => receive(bob, first), "duplicate", "after a reset, the id is still known");
			const record = await bob.stores.sessions.loadSessionRecord(alice.phone);
			assert(record, "record kept");
			record.received.clear(); // as if 2000 newer ids had pushed it out
			await assertRejects(
				() => receive(bob, first),
				"old_message",
				"the retired session id still catches it",
			);
			const stale = await send(alice, bob, "alice still uses the old session");
			await assertRejects(() => receive(bob, stale), "old_message", "a reset must be mirrored by the peer");
			await resetSession(alice.context, bob.phone);
			await converse(alice, bob, 1, "after both reset");
		},

		"a failed decryption leaves the stored state unchanged": async () => {
			const { alice, bob } = await pair();
			await converse(alice, bob, 2, "pre");
			const good = await send(alice, bob, "good");
			const before = await recordText(bob, alice.phone);
			const wrongId = { ...good, id: "other-id" };
			await assertRejects(() => receive(bob, wrongId), "bad_signature", "wrong id");
			await assertRejects(
				() => receive(bob, { ...good, body: good.body.slice(0, 40) }),
				"malformed",
				"garbage",
			);
			assertEqual(await recordText(bob, alice.phone), before, "state unchanged after failures");
			assertEqual(await receive(bob, good), "good", "the genuine message still decrypts");
		},

		"skipping exactly MAX_SKIP messages works": async () => {
			const { alice, bob } = await pair();
			await converse(alice, bob, 1, "warm");
			const sent = [];
			for (let i = 0; i <= MAX_SKIP; i++) sent.push(await send(alice, bob, `m${i}`));
			const last = sent[MAX_SKIP];
			assert(last, "last");
			assertEqual(await receive(bob, last), last.plaintext, "skips 1000 keys");
			const record = await bob.stores.sessions.loadSessionRecord(alice.phone);
			assertEqual(record?.sessions[0]?.skipped.size, MAX_SKIP, "1000 skipped keys stored");
			const early = sent[17];
			assert(early, "early");
			assertEqual(await receive(bob, early), early.plaintext, "a skipped one");
			assertEqual(record?.sessions[0]?.skipped.size, MAX_SKIP - 1, "deleted after use");
		},

		"at most 1000 skipped keys are kept per session, oldest evicted": async () => {
			const { alice, bob } = await pair();
			await converse(alice, bob, 1, "warm");
			const chain1 = [];
			for (let i = 0; i < 601; i++) chain1.push(await send(alice, bob, `c1-${i}`));
			const c1last = chain1[600];
			assert(c1last, "c1 last");
			await receive(bob, c1last); // 600 skipped
			await converse(bob, alice, 1, "ratchet"); // new chains
			const chain2 = [];
			for (let i = 0; i < 501; i++) chain2.push(await send(alice, bob, `c2-${i}`));
			const c2last = chain2[500];
			assert(c2last, "c2 last");
			await receive(bob, c2last); // +500 skipped → 1100 → 100 oldest evicted
			const record = await bob.stores.sessions.loadSessionRecord(alice.phone);
			assertEqual(record?.sessions[0]?.skipped.size, 1000, "capped");
			const evicted = chain1[5];
			const kept = chain1[150];
			assert(evicted && kept, "messages");
			await assertRejects(() => receive(bob, evicted), "old_message", "evicted key");
			assertEqual(await receive(bob, kept), kept.plaintext, "kept key");
		},

		"signed prekey rotation keeps replaced keys for late first messages, then deletes them": async () => {
			const { directory, alice, bob } = await pair();
			const oldBundle = directory.bundle(bob.phone);
			assertEqual(await rotateSignedPrekey(bob.context), undefined, "not due yet");
			clock.advance(SIGNED_PREKEY_ROTATION_MS);
			const rotated = await rotateSignedPrekey(bob.context);
			assert(rotated && rotated.keyId !== oldBundle.signedPrekey.keyId, "a new signed prekey");
			const late = await encryptMessage(alice.context, {
				to: bob.phone,
				id: "late",
				plaintext: text("late"),
				fetchBundle: async () => oldBundle,
			});
			const before = await bob.stores.prekeys.listSignedPrekeys();
			assertEqual(before.length, 2, "old key kept");
			clock.advance(SIGNED_PREKEY_RETENTION_MS);
			await rotateSignedPrekey(bob.context);
			assert(
				(await bob.stores.prekeys.loadSignedPrekey(oldBundle.signedPrekey.keyId)) === undefined,
				"old key deleted after retention",
			);
			await assertRejects(
				() => receive(bob, { from: alice.phone, id: "late", body: late }),
				"unknown_prekey",
				"too late",
			);
		},

		"one-time prekeys are refilled below the threshold with fresh ids": async () => {
			const { bob } = await pair();
			assertEqual((await refillOneTimePrekeys(bob.context, 30)).length, 0, "above threshold");
			const batch = await refillOneTimePrekeys(bob.context, 10);
			assertEqual(batch.length, 100, "one upload worth");
			const batch2 = await refillOneTimePrekeys(bob.context, 150, { threshold: 160 });
			assertEqual(batch2.length, 50, "never above 200 held");
			const ids = new Set([...batch, ...batch2].map((k) => k.keyId));
			assertEqual(ids.size, 150, "ids unique");
			const first = batch[0];
			assert(first && (await bob.stores.prekeys.loadOneTimePrekey(first.keyId)), "stored");
		},

		"safety numbers: 60 digits, equal on both sides, change with keys or phones": async () => {
			const { alice, bob } = await pair();
			const a = await send(alice, bob, "hi");
			await receive(bob, a);
			const fromAlice = await safetyNumberWith(alice.context, bob.phone);
			const fromBob = await safetyNumberWith(bob.context, alice.phone);
			assert(/^[0-9]{60}$/.test(fromAlice.digits), "60 digits");
			assertEqual(fromAlice.digits, fromBob.digits, "same on both sides");
			assertEqual(fromAlice.groups.length, 12, "12 groups");
			assert(
				fromAlice.groups.every((g) => /^[0-9]{5}$/.test(g)),
				"of 5 digits",
			);
			assertEqual(fromAlice.groups.join(""), fromAlice.digits, "groups are the digits");
			assert(safetyNumberMatchesQr(fromAlice, fromBob.qrPayload), "QR payload matches");
			const aliceKeys = publicIdentity(await alice.context.localIdentity());
			const bobKeys = publicIdentity(await bob.context.localIdentity());
			const other = publicIdentity(await createLocalIdentity({ extractable: true }));
			const swappedKey = await safetyNumber(
				{ phone: alice.phone, identity: aliceKeys },
				{ phone: bob.phone, identity: other },
			);
			const swappedPhone = await safetyNumber(
				{ phone: alice.phone, identity: aliceKeys },
				{ phone: PHONES.carol, identity: bobKeys },
			);
			assert(swappedKey.digits !== fromAlice.digits, "another key, another number");
			assert(swappedPhone.digits !== fromAlice.digits, "another phone, another number");
			assert(!safetyNumberMatchesQr(fromAlice, swappedKey.qrPayload), "QR mismatch detected");
		},

		"a changed identity is a typed event; accepting it lets the retried message through": async () => {
			const { directory, alice, bob } = await pair();
			await converse(alice, bob, 1, "before");
			const oldKeys = publicIdentity(await bob.context.localIdentity());
			await markIdentityVerified(alice.context, bob.phone, oldKeys);
			// Bob reinstalls: new identity, new stores, same phone.
			const bob2 = await makeParty(PHONES.bob, directory);
			const newKeys = publicIdentity(await bob2.context.localIdentity());
			const hello = await send(bob2, alice, "new phone who dis");
			let event: unknown;
			try {
				await receive(alice, hello);
			} catch (error) {
				assert(isProtocolError(error, "untrusted_identity"), "untrusted_identity");
				event = error.identityChange;
				assertEqual(error.identityChange?.previous.signingKey, oldKeys.signingKey, "previous key");
				assertEqual(error.identityChange?.current.signingKey, newKeys.signingKey, "current key");
				assertEqual(error.identityChange?.previouslyVerified, true, "was verified");
			}
			assert(event, "the change was reported");
			await trustIdentity(alice.context, bob.phone, newKeys);
			const pinned = await getTrustedIdentity(alice.context, bob.phone);
			assertEqual(pinned?.verified, false, "verification reset");
			assertEqual(await receive(alice, hello), "new phone who dis", "retry after acceptance");
			await converse(alice, bob2, 2, "after");
		},

		"sending to a peer whose bundle carries a changed identity is refused": async () => {
			const { directory, alice, bob } = await pair();
			await converse(alice, bob, 1, "before");
			await resetSession(alice.context, bob.phone);
			await makeParty(PHONES.bob, directory); // the relay now serves a different identity
			await assertRejects(() => send(alice, bob, "hi"), "untrusted_identity", "swapped identity");
		},

		"serialised state round-trips and the conversation continues": async () => {
			const { alice, bob } = await pair();
			await converse(alice, bob, 2, "before");
			const pending = await send(alice, bob, "in flight");
			// Rebuild bob from text, as the CLI would after a restart.
			const stores = createMemoryStores();
			const local = await bob.stores.identities.loadLocalIdentity();
			assert(local, "bob has an identity");
			await stores.identities.storeLocalIdentity(
				await deserializeLocalIdentity(await serializeLocalIdentity(local)),
			);
			for (const record of bob.stores.identities.trusted.values()) {
				await stores.identities.storeTrustedIdentity(
					deserializeTrustedIdentity(serializeTrustedIdentity(record)),
				);
			}
			for (const record of bob.stores.prekeys.signed.values()) {
				await stores.prekeys.storeSignedPrekey(
					await deserializeSignedPrekey(await serializeSignedPrekey(record)),
				);
			}
			const otks = await Promise.all(
				[...bob.stores.prekeys.oneTime.values()].map(async (r) =>
					deserializeOneTimePrekey(await serializeOneTimePrekey(r)),
				),
			);
			await stores.prekeys.storeOneTimePrekeys(otks);
			const record = await bob.stores.sessions.loadSessionRecord(alice.phone);
			assert(record, "bob has a session record");
			const textForm = await serializeSessionRecord(record);
			const restored = await deserializeSessionRecord(textForm);
			assertEqual(await serializeSessionRecord(restored), textForm, "stable serialisation");
			await stores.sessions.storeSessionRecord(restored);
			const bob2: Party = {
				phone: bob.phone,
				stores,
				context: createProtocolContext({ phone: bob.phone, stores, clock }),
				directory: bob.directory,
			};
			assertEqual(await receive(bob2, pending), "in flight", "decrypts with restored state");
			await assertRejects(() => receive(bob2, pending), "duplicate", "replay set restored too");
			await converse(alice, bob2, 2, "after restore");
		},

		"serialisation refuses unknown versions, suites, bad shapes and non-extractable keys": async () => {
			const identity = await createLocalIdentity({ extractable: true });
			const textForm = await serializeLocalIdentity(identity);
			const parsed: unknown = JSON.parse(textForm);
			assert(typeof parsed === "object" && parsed !== null, "object");
			await assertRejects(
				() => deserializeLocalIdentity(JSON.stringify({ ...parsed, v: 2 })),
				"unsupported_version",
				"future state version",
			);
			await assertRejects(
				() => deserializeLocalIdentity(JSON.stringify({ ...parsed, suite: 9 })),
				"unsupported_version",
				"unknown suite",
			);
			await assertRejects(
				() => deserializeLocalIdentity(JSON.stringify({ ...parsed, signing: 1 })),
				"malformed",
				"bad shape",
			);
			await assertRejects(() => deserializeLocalIdentity("{"), "malformed", "not JSON");
			await assertRejects(
				() => deserializeSessionRecord(textForm),
				"malformed",
				"a document of another kind",
			);
			const locked = await createLocalIdentity({ extractable: false });
			await assertRejects(() => serializeLocalIdentity(locked), "not_extractable", "non-extractable");
		},

		"non-extractable keys (the browser setting) work end to end": async () => {
			const { alice, bob } = await pair({ extractable: false });
			await converse(alice, bob, 3, "locked");
			const record = await alice.stores.sessions.loadSessionRecord(bob.phone);
			assertEqual(
				record?.sessions[0]?.ratchet.privateKey.extractable,
				false,
				"ratchet keys follow the identity",
			);
		},

		"concurrent sends and receives for one peer are serialised": async () => {
			const { alice, bob } = await pair();
			await converse(alice, bob, 1, "warm");
			const ids = Array.from({ length: 12 }, () => nextId());
			const fromAlice = await Promise.all(ids.map((id, i) => send(alice, bob, `par ${i}`, id)));
			const fromBob = Promise.all([0, 1, 2, 3].map((i) => send(bob, alice, `back ${i}`)));
			const readByBob = await Promise.all(fromAlice.map((m) => receive(bob, m)));
			readByBob.forEach((plain, i) => {
				assertEqual(plain, `par ${i}`, "each decrypts");
			});
			const back = await fromBob;
			const readByAlice = await Promise.all(back.map((m) => receive(alice, m)));
			assertEqual(readByAlice.join(","), "back 0,back 1,back 2,back 3", "alice reads all");
			assertEqual(new Set(fromAlice.map((m) => m.body)).size, 12, "no key reuse");
		},

		"a follow-up message without a session is no_session; with no pin at all too": async () => {
			const { alice, bob } = await pair();
			await converse(alice, bob, 1, "x");
			const later = await send(alice, bob, "after bob lost state");
			await bob.stores.sessions.deleteSessionRecord(alice.phone);
			await assertRejects(() => receive(bob, later), "no_session", "lost state");
			const encryptWithoutBundle = encryptMessage(bob.context, {
				to: PHONES.carol,
				id: "x1",
				plaintext: text("x"),
			});
			await assertRejects(() => encryptWithoutBundle, "no_session", "no bundle callback");
		},

		"argument checks": async () => {
			const { alice, bob } = await pair();
			await assertRejects(
				() => encryptMessage(alice.context, { to: "5555", id: "x", plaintext: text("x") }),
				"invalid_argument",
				"phone",
			);
			await assertRejects(
				() => encryptMessage(alice.context, { to: bob.phone, id: "bad id!", plaintext: text("x") }),
				"invalid_argument",
				"message id",
			);
			await assertRejects(
				() => encryptMessage(alice.context, { to: alice.phone, id: "x", plaintext: text("x") }),
				"wrong_recipient",
				"to self",
			);
			await assertRejects(
				() => decryptMessage(alice.context, { from: alice.phone, id: "x", body: "AAAA" }),
				"wrong_recipient",
				"from self",
			);
			const empty = createProtocolContext({ phone: PHONES.carol, stores: createMemoryStores(), clock });
			await assertRejects(
				() => encryptMessage(empty, { to: bob.phone, id: "x", plaintext: text("x") }),
				"no_identity",
				"no identity",
			);
		},
	},
};
