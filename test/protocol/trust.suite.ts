// The trust lifecycle in the library (issue 11): key changes back to an earlier key, delivery notices,
// authenticated failures, compare-and-set pinning, the write order of a first message, and stored
// state that holds copies rather than views of received envelopes.

import {
	createDeliveryNotice,
	decryptMessage,
	deserializeTrustedIdentity,
	getTrustedIdentity,
	hasSession,
	isProtocolError,
	MAX_PREVIOUS_IDENTITIES,
	openDeliveryNotice,
	type ProtocolError,
	pinIdentityIfNew,
	publicIdentity,
	resetSession,
	serializeTrustedIdentity,
	trustIdentity,
} from "../../protocol/session/index.ts";
import { Directory, makeParty, nextId, type Party, PHONES, receive, send } from "./fixtures.ts";
import { assert, assertEqual, assertRejects, type Suite } from "./harness.ts";

async function caught(operation: () => Promise<unknown>): Promise<ProtocolError> {
	try {
		await operation();
	} catch (error) {
		if (isProtocolError(error)) return error;
		throw error;
	}
	throw new Error("expected a ProtocolError, but it succeeded");
}

async function talking(): Promise<{ directory: Directory; alice: Party; bob: Party }> {
	const directory = new Directory();
	const alice = await makeParty(PHONES.alice, directory);
	const bob = await makeParty(PHONES.bob, directory);
	await receive(bob, await send(alice, bob, "hello"));
	await receive(alice, await send(bob, alice, "hi"));
	return { directory, alice, bob };
}

async function localKeys(party: Party) {
	return publicIdentity(await party.context.localIdentity());
}

/** Every ArrayBuffer reachable from `value` (typed arrays' buffers), summed. */
function bufferBytes(value: unknown, seen = new Set<unknown>()): number {
	if (value === null || typeof value !== "object" || seen.has(value)) return 0;
	seen.add(value);
	if (ArrayBuffer.isView(value)) {
		if (seen.has(value.buffer)) return 0;
		seen.add(value.buffer);
		return value.buffer.byteLength;
	}
	if (value instanceof CryptoKey) return 0;
	const children =
		value instanceof Map ? [...value.values()] : value instanceof Set ? [] : Object.values(value);
	return children.reduce((sum: number, child) => sum + bufferBytes(child, seen), 0);
}

export const trustSuite: Suite = {
	name: "trust lifecycle",
	cases: {
		async "a message signed by an earlier key of the contact is a key change back to it, not a forgery"() {
			const { directory, alice, bob } = await talking();
			// Alice's second install registers; Bob accepts its key (the old sessions are retired).
			const alice2 = await makeParty(PHONES.alice, directory);
			await trustIdentity(bob.context, PHONES.alice, await localKeys(alice2));
			const pin = await getTrustedIdentity(bob.context, PHONES.alice);
			assertEqual(pin?.previous?.length, 1, "the replaced key is remembered");
			// Install 1 writes again on its old session.
			const stale = await send(alice, bob, "install 1 again");
			const error = await caught(() => receive(bob, stale));
			assertEqual(error.code, "untrusted_identity", "a key change");
			assertEqual(
				error.identityChange?.current.signingKey,
				(await localKeys(alice)).signingKey,
				"the change names install 1's key",
			);
			// Accepting install 1's key again: the old session is retired, so the message cannot be
			// decrypted, but the failure is authenticated (worth a delivery notice) and names its session.
			await trustIdentity(bob.context, PHONES.alice, await localKeys(alice));
			const retired = await caught(() => receive(bob, stale));
			assertEqual(retired.code, "old_message", "the retired session");
			assert(retired.authenticatedFailure !== undefined, "an authenticated failure");
			// A signature no known key made stays a forgery, with nothing to notify.
			const flipped =
				stale.body.slice(0, -3) + (stale.body.at(-3) === "A" ? "B" : "A") + stale.body.slice(-2);
			const forged = await caught(() => receive(bob, { ...stale, id: nextId(), body: flipped }));
			assertEqual(forged.code, "bad_signature", "forged");
			assertEqual(forged.authenticatedFailure, undefined, "nothing to notify for a forgery");
		},

		async "failures after the signature verified are marked authenticated, with the envelope's session"() {
			const { alice, bob } = await talking();
			await resetSession(bob.context, PHONES.alice);
			const message = await send(alice, bob, "after bob lost the session");
			const error = await caught(() => receive(bob, message));
			assertEqual(error.code, "old_message", "retired session");
			assert(error.authenticatedFailure?.session.length === 16, "the failed session id is carried");
		},

		async "a sender with no pinned key is authenticated through its published identity, and not pinned"() {
			const { directory, alice } = await talking();
			// Bob's new install: no keys for Alice, who still writes on her session with the old install.
			const bob2 = await makeParty(PHONES.bob, directory);
			const message = await send(alice, bob2, "to the old install");
			const unauthenticated = await caught(() => receive(bob2, message));
			assertEqual(unauthenticated.code, "no_session", "no session");
			assertEqual(unauthenticated.authenticatedFailure, undefined, "unknown sender: nothing to notify");
			const withIdentity = await caught(() =>
				decryptMessage(bob2.context, {
					...message,
					senderIdentity: async () => directory.entries.get(PHONES.alice)?.identity ?? Promise.reject(),
				}),
			);
			assert(withIdentity.authenticatedFailure !== undefined, "authenticated by the published identity");
			assertEqual(await getTrustedIdentity(bob2.context, PHONES.alice), undefined, "nothing pinned");
			// A published identity that did not sign it does not authenticate it.
			const carol = await makeParty(PHONES.carol, directory);
			const wrong = await caught(() =>
				decryptMessage(bob2.context, { ...message, senderIdentity: async () => localKeys(carol) }),
			);
			assertEqual(wrong.authenticatedFailure, undefined, "another identity does not authenticate it");
		},

		async "delivery notices: applied once, about the active session it is retired, forged ones refused"() {
			const { directory, alice, bob } = await talking();
			const failed = await send(alice, bob, "lost");
			const noticeId = nextId();
			const session = (await alice.stores.sessions.loadSessionRecord(PHONES.bob))?.sessions[0]?.id;
			assert(session !== undefined, "alice has a session");
			const body = await createDeliveryNotice(bob.context, {
				to: PHONES.alice,
				id: noticeId,
				about: failed.id,
				reason: "no_session",
				session,
			});
			const applied: string[] = [];
			const opened = await openDeliveryNotice(alice.context, {
				from: PHONES.bob,
				id: noticeId,
				body,
				apply: async (notice) => {
					applied.push(`${notice.about}:${notice.reason}`);
				},
			});
			assertEqual(applied.join(), `${failed.id}:no_session`, "applied once with its reason");
			assert(opened.aboutActiveSession, "about the active session");
			assert(opened.aboutOurSession, "about one of our sessions");
			// A rejection naming a session that was never ours (an envelope the relay made under our
			// phone and a real id) is recognisable as such.
			const foreign = await createDeliveryNotice(bob.context, {
				to: PHONES.alice,
				id: "n-foreign",
				about: failed.id,
				reason: "identity_rejected",
				session: new Uint8Array(16).fill(7),
			});
			const notOurs = await openDeliveryNotice(alice.context, {
				from: PHONES.bob,
				id: "n-foreign",
				body: foreign,
			});
			assertEqual(notOurs.aboutOurSession, false, "a foreign session");
			assertEqual(await hasSession(alice.context, PHONES.bob), false, "the broken session is retired");
			await assertRejects(
				() => openDeliveryNotice(alice.context, { from: PHONES.bob, id: noticeId, body }),
				"duplicate",
				"a replayed notice",
			);
			// Signed by the right key but for another recipient, sender or id: refused.
			await assertRejects(
				() => openDeliveryNotice(alice.context, { from: PHONES.bob, id: nextId(), body }),
				"bad_signature",
				"a notice under another id",
			);
			await assertRejects(
				() => openDeliveryNotice(alice.context, { from: PHONES.carol, id: noticeId, body }),
				"bad_signature",
				"a notice relabelled to another sender",
			);
			// Signed by a key other than the pinned one: a key change, to hold.
			const bob2 = await makeParty(PHONES.bob, directory);
			const otherKey = await createDeliveryNotice(bob2.context, {
				to: PHONES.alice,
				id: "n2",
				about: failed.id,
				reason: "no_session",
			});
			const change = await caught(() =>
				openDeliveryNotice(alice.context, { from: PHONES.bob, id: "n2", body: otherKey }),
			);
			assertEqual(change.code, "untrusted_identity", "another key");
			// From a phone we never pinned: nothing to act on.
			await assertRejects(
				async () =>
					openDeliveryNotice((await makeParty(PHONES.carol, directory)).context, {
						from: PHONES.bob,
						id: "n2",
						body: otherKey,
					}),
				"bad_signature",
				"a notice addressed to someone else",
			);
			await assertRejects(
				() => openDeliveryNotice(alice.context, { from: PHONES.bob, id: "n4", body: "AQM" }),
				"malformed",
				"a truncated notice",
			);
		},

		async "a notice is never taken for a message, nor a message for a notice"() {
			const { alice, bob } = await talking();
			const notice = await createDeliveryNotice(bob.context, {
				to: PHONES.alice,
				id: "nx",
				about: "m-any",
				reason: "decrypt_failed",
			});
			await assertRejects(
				() => receive(alice, { from: PHONES.bob, id: "nx", body: notice }),
				"malformed",
				"notice as message",
			);
			const message = await send(bob, alice, "a message");
			await assertRejects(
				() => openDeliveryNotice(alice.context, { from: PHONES.bob, id: message.id, body: message.body }),
				"malformed",
				"message as notice",
			);
		},

		async "first pin is compare-and-set: a pin that appeared meanwhile is kept, other keys are a change"() {
			const directory = new Directory();
			const alice = await makeParty(PHONES.alice, directory);
			const bob = await makeParty(PHONES.bob, directory);
			const bobKeys = await localKeys(bob);
			await pinIdentityIfNew(alice.context, PHONES.bob, bobKeys);
			await pinIdentityIfNew(alice.context, PHONES.bob, bobKeys);
			const impostor = await localKeys(await makeParty(PHONES.bob, new Directory()));
			await assertRejects(
				() => pinIdentityIfNew(alice.context, PHONES.bob, impostor),
				"untrusted_identity",
				"a different key never replaces the pin",
			);
			const pinned = await getTrustedIdentity(alice.context, PHONES.bob);
			assertEqual(
				pinned?.signingKey.join(),
				(await bob.context.localIdentity()).signing.publicKey.join(),
				"the first pin stays",
			);
		},

		async "receiving a first message writes the pin before the session, and the used prekey last"() {
			const directory = new Directory();
			const alice = await makeParty(PHONES.alice, directory);
			const bob = await makeParty(PHONES.bob, directory);
			const writes: string[] = [];
			const { identities, sessions, prekeys } = bob.stores;
			const storeTrusted = identities.storeTrustedIdentity.bind(identities);
			const storeSession = sessions.storeSessionRecord.bind(sessions);
			const removePrekey = prekeys.removeOneTimePrekey.bind(prekeys);
			identities.storeTrustedIdentity = async (record) => {
				writes.push("pin");
				await storeTrusted(record);
			};
			sessions.storeSessionRecord = async (record) => {
				writes.push("session");
				await storeSession(record);
			};
			prekeys.removeOneTimePrekey = async (id) => {
				writes.push("prekey");
				await removePrekey(id);
			};
			const first = await send(alice, bob, "first");
			await decryptMessage(bob.context, {
				...first,
				save: async () => {
					writes.push("message");
				},
			});
			assertEqual(writes.join(" "), "message pin session prekey", "write order");
		},

		async "stored state holds copies of header fields, not views of a 300 KB envelope"() {
			const { alice, bob } = await talking();
			const big = await send(alice, bob, "x".repeat(300_000));
			await receive(bob, big);
			const record = await bob.stores.sessions.loadSessionRecord(PHONES.alice);
			const pin = await getTrustedIdentity(bob.context, PHONES.alice);
			const sessionBytes = bufferBytes(record);
			const pinBytes = bufferBytes(pin);
			assert(sessionBytes < 16_384, `session record buffers ${sessionBytes} bytes`);
			assert(pinBytes < 1_024, `pin buffers ${pinBytes} bytes`);
			// A first message (prekey header) too.
			const directory = new Directory();
			const carol = await makeParty(PHONES.carol, directory);
			const dave = await makeParty(PHONES.bob, directory);
			await receive(dave, await send(carol, dave, "y".repeat(300_000)));
			const firstRecord = bufferBytes(await dave.stores.sessions.loadSessionRecord(PHONES.carol));
			const firstPin = bufferBytes(await getTrustedIdentity(dave.context, PHONES.carol));
			assert(firstRecord < 16_384, `first session record buffers ${firstRecord} bytes`);
			assert(firstPin < 1_024, `first pin buffers ${firstPin} bytes`);
		},

		async "previous keys are serialised, bounded, and never include the current key"() {
			const directory = new Directory();
			const alice = await makeParty(PHONES.alice, directory);
			const keys = [];
			for (let i = 0; i < MAX_PREVIOUS_IDENTITIES + 3; i++)
				keys.push(await localKeys(await makeParty(PHONES.bob, directory)));
			for (const identity of keys) await trustIdentity(alice.context, PHONES.bob, identity);
			const earlier = keys[2];
			assert(earlier !== undefined, "keys made");
			await trustIdentity(alice.context, PHONES.bob, earlier);
			const pin = await getTrustedIdentity(alice.context, PHONES.bob);
			assert(pin !== undefined, "pinned");
			assertEqual(pin.previous?.length, MAX_PREVIOUS_IDENTITIES, "bounded");
			const again = deserializeTrustedIdentity(serializeTrustedIdentity(pin));
			assertEqual(again.previous?.length, MAX_PREVIOUS_IDENTITIES, "serialised");
			const current = pin.signingKey.join();
			assert(
				!again.previous?.some((old) => old.signingKey.join() === current),
				"the current key is not a previous one",
			);
		},
	},
};
