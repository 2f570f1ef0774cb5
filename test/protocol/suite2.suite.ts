// Suite 2 (docs/E2E-PROTOCOL.md §Suite 2): new sessions are post-quantum hybrid; the relay can neither
// strip, swap nor replay KEM prekeys without the setup being refused; a tampered KEM ciphertext fails the
// derivation; padding hides exact lengths; two copies of one session state never share a (key, nonce).

import { generateEcdhKeyPair } from "../../protocol/crypto/ecdh.ts";
import { signedPrekeySignedBytes, signKey } from "../../protocol/crypto/key-signatures.ts";
import { generateMlKemKeyPair, nobleMlKemBackend, setMlKemBackend } from "../../protocol/crypto/ml-kem.ts";
import { pad } from "../../protocol/crypto/padme.ts";
import { expandMessageKey, kdfChain } from "../../protocol/crypto/ratchet-kdf.ts";
import { decodeBase64Url, encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import {
	deserializeSessionRecord,
	encryptMessage,
	prepareKeyUpload,
	STATE_VERSION,
	SUITE_V1,
	SUITE_V2,
	serializeSessionRecord,
} from "../../protocol/session/index.ts";
import { PREKEY_HEADER_V2_BYTES } from "../../protocol/wire/envelope.ts";
import type { PrekeyBundle } from "../../protocol/wire/keys.ts";
import { bodyBytes, flipBase64, openBody, resign } from "./envelope-tools.ts";
import { Directory, makeParty, type Party, PHONES, receive, send, text } from "./fixtures.ts";
import { AssertionFailed, assert, assertEqual, assertRejects, type Suite } from "./harness.ts";

async function trio() {
	const directory = new Directory();
	const alice = await makeParty(PHONES.alice, directory);
	const bob = await makeParty(PHONES.bob, directory);
	const carol = await makeParty(PHONES.carol, directory);
	return { directory, alice, bob, carol };
}

function withBundle(from: Party, to: string, bundle: PrekeyBundle, id: string) {
	return () =>
		encryptMessage(from.context, { to, id, plaintext: text("x"), fetchBundle: async () => bundle });
}

function bytesOf(text: string): Uint8Array<ArrayBuffer> {
	const out = decodeBase64Url(text);
	if (!out) throw new AssertionFailed("not base64url");
	return out;
}

async function noSession(party: Party, peer: string): Promise<void> {
	const record = await party.stores.sessions.loadSessionRecord(peer);
	assertEqual(record?.sessions.length ?? 0, 0, "no session from a refused bundle");
}

export const suite2Suite: Suite = {
	name: "suite 2",
	cases: {
		"new sessions are suite 2: both ends hold suite-2 state and prekey messages carry the KEM encapsulation":
			async () => {
				const { alice, bob } = await trio();
				const first = await send(alice, bob, "hello");
				const view = openBody(first.body);
				assertEqual(view.v, 2, "envelope version");
				assertEqual(view.prekey?.kem?.kind, "one_time", "encapsulated to the one-time KEM prekey");
				assertEqual(bytesOf(view.salt ?? "").length, 16, "salt");
				assert(bodyBytes(first.body).length >= PREKEY_HEADER_V2_BYTES, "prekey header size");
				assertEqual(await receive(bob, first), "hello", "decrypts");
				const reply = await send(bob, alice, "hi");
				assertEqual(openBody(reply.body).prekey, undefined, "the reply needs no prekey header");
				assertEqual(await receive(alice, reply), "hi", "reply decrypts");
				for (const [party, peer] of [
					[alice, bob],
					[bob, alice],
				] as const) {
					const record = await party.stores.sessions.loadSessionRecord(peer.phone);
					assertEqual(record?.sessions[0]?.suite, SUITE_V2, `${party.phone}'s session suite`);
				}
				// The one-time KEM prekey is used once: deleted on Bob's side after the message decrypted.
				assertEqual(
					await bob.stores.prekeys.loadKemPrekey(view.prekey?.kem?.keyId ?? -1),
					undefined,
					"used KEM prekey deleted",
				);
			},

		"the ML-KEM implementation is replaceable: a session set up through another backend": async () => {
			const { alice, bob } = await trio();
			const calls: string[] = [];
			// A stand-in for a native WebCrypto ML-KEM: records each call, delegates to the default backend.
			const previous = setMlKemBackend({
				keyPair: (seed) => {
					calls.push("keyPair");
					return nobleMlKemBackend.keyPair(seed);
				},
				encapsulate: (publicKey, message) => {
					calls.push("encapsulate");
					return nobleMlKemBackend.encapsulate(publicKey, message);
				},
				decapsulate: (ciphertext, secretKey) => {
					calls.push("decapsulate");
					return nobleMlKemBackend.decapsulate(ciphertext, secretKey);
				},
			});
			try {
				assertEqual(
					await receive(bob, await send(alice, bob, "through the backend")),
					"through the backend",
					"decrypts",
				);
			} finally {
				setMlKemBackend(previous);
			}
			assertEqual(calls.join(","), "encapsulate,decapsulate", "the setup went through the installed backend");
		},

		"without one-time KEM prekeys the last-resort KEM key (signed with the signed prekey) is used":
			async () => {
				const directory = new Directory();
				const alice = await makeParty(PHONES.alice, directory);
				const bob = await makeParty(PHONES.bob, directory, { kemPrekeys: false });
				const first = await send(alice, bob, "last resort");
				const kem = openBody(first.body).prekey?.kem;
				assertEqual(kem?.kind, "last_resort", "kind");
				assertEqual(kem?.keyId, openBody(first.body).prekey?.signedPrekeyId, "same id as the signed prekey");
				assertEqual(await receive(bob, first), "last resort", "decrypts");
			},

		"a signed prekey stored before suite 2 is replaced at the next key upkeep, with its KEM key":
			async () => {
				const directory = new Directory();
				const bob = await makeParty(PHONES.bob, directory);
				const identity = await bob.context.localIdentity();
				// Bob's store as an app from before suite 2 left it: one classical signed prekey, current.
				for (const record of await bob.stores.prekeys.listSignedPrekeys())
					await bob.stores.prekeys.removeSignedPrekey(record.keyId);
				const old = await generateEcdhKeyPair(true);
				await bob.stores.prekeys.storeSignedPrekey({
					v: STATE_VERSION,
					suite: SUITE_V1,
					keyId: 900,
					keyPair: old,
					signature: await signKey(identity.signing.privateKey, signedPrekeySignedBytes(900, old.publicKey)),
					createdAt: bob.context.clock.now(),
				});
				const upload = await prepareKeyUpload(bob.context, {
					oneTimePrekeys: 100,
					oneTimePrekeyIds: [],
					signedPrekeyId: 900,
					signedPrekeyKem: false,
					kemPrekeyIds: [],
				});
				assert(upload?.signedPrekey?.kemPublicKey !== undefined, "a new signed prekey with its KEM key");
				assert(upload?.signedPrekey?.keyId !== 900, "a new id");
				assertEqual(upload?.kemPrekeys?.length, 25, "one-time KEM prekeys refilled");
				// The old one is kept (replaced, not deleted) for suite-1 setups still in flight.
				assert(
					(await bob.stores.prekeys.loadSignedPrekey(900))?.replacedAt !== undefined,
					"old one retained",
				);
			},

		"a stripped KEM prekey is detected and the session refused (no classical fallback)": async () => {
			const { directory, alice, bob } = await trio();
			const good = directory.bundle(bob.phone);
			// The relay removes the last-resort KEM key: the suite-2 signature no longer verifies.
			const { kemPublicKey: _removed, ...strippedPrekey } = good.signedPrekey;
			const { kemPrekey: _alsoRemoved, ...rest } = good;
			await assertRejects(
				withBundle(alice, bob.phone, { ...rest, signedPrekey: strippedPrekey }, "strip-1"),
				"bad_signature",
				"stripped KEM key",
			);
			// Even a genuinely signed classical (suite-1) prekey is refused: an out-of-date contact, or a relay
			// replaying an old bundle, cannot get a new session without the KEM.
			const identity = await bob.context.localIdentity();
			const classical = await signKey(
				identity.signing.privateKey,
				signedPrekeySignedBytes(good.signedPrekey.keyId, bytesOf(good.signedPrekey.publicKey)),
			);
			await assertRejects(
				withBundle(
					alice,
					bob.phone,
					{ ...rest, signedPrekey: { ...strippedPrekey, signature: encodeBase64Url(classical) } },
					"strip-2",
				),
				"unsupported_version",
				"suite-1 bundle",
			);
			await noSession(alice, bob.phone);
		},

		"a swapped KEM key (last-resort or one-time) is refused": async () => {
			const { directory, alice, bob, carol } = await trio();
			const good = directory.bundle(bob.phone);
			const carols = directory.bundle(carol.phone);
			const other = encodeBase64Url((await generateMlKemKeyPair()).publicKey);
			await assertRejects(
				withBundle(
					alice,
					bob.phone,
					{ ...good, signedPrekey: { ...good.signedPrekey, kemPublicKey: other } },
					"swap-1",
				),
				"bad_signature",
				"last-resort KEM key swapped",
			);
			const kemPrekey = good.kemPrekey;
			if (!kemPrekey || !carols.kemPrekey) throw new AssertionFailed("bundles carry one-time KEM prekeys");
			await assertRejects(
				withBundle(alice, bob.phone, { ...good, kemPrekey: { ...kemPrekey, publicKey: other } }, "swap-2"),
				"bad_signature",
				"one-time KEM key swapped",
			);
			await assertRejects(
				withBundle(alice, bob.phone, { ...good, kemPrekey: carols.kemPrekey }, "swap-3"),
				"bad_signature",
				"another identity's KEM prekey",
			);
			await assertRejects(
				withBundle(
					alice,
					bob.phone,
					{ ...good, kemPrekey: { ...kemPrekey, signature: flipBase64(kemPrekey.signature, 4) } },
					"swap-4",
				),
				"bad_signature",
				"KEM prekey signature",
			);
			await noSession(alice, bob.phone);
			// The genuine bundle still works.
			await encryptMessage(alice.context, {
				to: bob.phone,
				id: "swap-ok",
				plaintext: text("ok"),
				fetchBundle: async () => good,
			});
		},

		"a tampered KEM ciphertext fails the setup even when validly signed, and changes nothing": async () => {
			const { alice, bob } = await trio();
			const first = await send(alice, bob, "real");
			const view = openBody(first.body);
			const kem = view.prekey?.kem;
			if (!view.prekey || !kem) throw new AssertionFailed("a prekey message");
			const identity = await alice.context.localIdentity();
			const route = { sender: alice.phone, recipient: bob.phone, messageId: first.id };
			// ML-KEM's implicit rejection yields an unrelated secret: the derived session id differs.
			const forged = await resign(
				{ ...view, prekey: { ...view.prekey, kem: { ...kem, ciphertext: flipBase64(kem.ciphertext, 100) } } },
				identity,
				route,
			);
			await assertRejects(() => receive(bob, { ...first, body: forged }), "decrypt_failed", "KEM ciphertext");
			// The transcript binds the KEM key: naming the last-resort key instead (same ciphertext) fails too.
			const relabelled = await resign(
				{
					...view,
					prekey: { ...view.prekey, kem: { ...kem, kind: "last_resort", keyId: view.prekey.signedPrekeyId } },
				},
				identity,
				route,
			);
			await assertRejects(() => receive(bob, { ...first, body: relabelled }), "decrypt_failed", "KEM kind");
			const unknown = await resign(
				{ ...view, prekey: { ...view.prekey, kem: { ...kem, keyId: kem.keyId + 1000 } } },
				identity,
				route,
			);
			await assertRejects(() => receive(bob, { ...first, body: unknown }), "unknown_prekey", "KEM key id");
			assertEqual(await bob.stores.sessions.loadSessionRecord(alice.phone), undefined, "nothing stored");
			assertEqual(await receive(bob, first), "real", "the genuine message still decrypts");
		},

		"a replayed one-time KEM prekey is refused: the relay cannot hand one key to two sessions": async () => {
			const { directory, alice, bob, carol } = await trio();
			const bundle = directory.bundle(bob.phone);
			// A malicious relay hands the same bundle (same one-time EC and KEM prekeys) to Alice and Carol.
			const fromAlice = await encryptMessage(alice.context, {
				to: bob.phone,
				id: "r-1",
				plaintext: text("alice"),
				fetchBundle: async () => bundle,
			});
			const { oneTimePrekey: _ec, ...kemOnly } = bundle;
			const fromCarol = await encryptMessage(carol.context, {
				to: bob.phone,
				id: "r-2",
				plaintext: text("carol"),
				fetchBundle: async () => kemOnly,
			});
			assertEqual(
				await receive(bob, { from: alice.phone, id: "r-1", body: fromAlice }),
				"alice",
				"first use",
			);
			await assertRejects(
				() => receive(bob, { from: carol.phone, id: "r-2", body: fromCarol }),
				"unknown_prekey",
				"second use of the one-time KEM prekey",
			);
			assertEqual(await bob.stores.sessions.loadSessionRecord(carol.phone), undefined, "no session");
		},

		"a forked session state never reuses a (key, nonce): two copies send under different keystreams":
			async () => {
				const { alice, bob } = await trio();
				await receive(bob, await send(alice, bob, "setup"));
				await receive(alice, await send(bob, alice, "reply"));
				// Fork Alice's state, as a restored backup or a rolled-back file would.
				const record = await alice.stores.sessions.loadSessionRecord(bob.phone);
				if (!record) throw new AssertionFailed("no record");
				const copy = await serializeSessionRecord(record);
				const state = (await deserializeSessionRecord(copy)).sessions[0];
				if (!state) throw new AssertionFailed("no session");
				const one = await send(alice, bob, "attack at dawn!");
				alice.stores.sessions.records.set(bob.phone, await deserializeSessionRecord(copy));
				const two = await send(alice, bob, "retreat at dusk");
				const [a, b] = [openBody(one.body), openBody(two.body)];
				assertEqual(a.n, b.n, "both copies used the same chain step");
				assert(a.salt !== b.salt, "fresh salts");
				// Same message key MK (same chain state), different (K, N) because of the salts.
				const { messageKey } = await kdfChain(state.send.chainKey);
				const keysOne = await expandMessageKey(messageKey, state.ad, bytesOf(a.salt ?? ""));
				const keysTwo = await expandMessageKey(messageKey, state.ad, bytesOf(b.salt ?? ""));
				assert(encodeBase64Url(keysOne.nonce) !== encodeBase64Url(keysTwo.nonce), "nonces differ");
				// Had they shared (K, N), AES-GCM's CTR keystream would make c1 XOR c2 = p1 XOR p2.
				const p1 = pad(text("attack at dawn!"));
				const p2 = pad(text("retreat at dusk"));
				const c1 = bytesOf(a.ciphertext);
				const c2 = bytesOf(b.ciphertext);
				assertEqual(p1.length, p2.length, "equal lengths");
				let shared = 0;
				for (let i = 0; i < p1.length; i++)
					if (((c1[i] ?? 0) ^ (c2[i] ?? 0)) === ((p1[i] ?? 0) ^ (p2[i] ?? 0))) shared++;
				assert(shared < p1.length / 2, `keystreams differ (${shared} of ${p1.length} bytes agree)`);
				// Bob reads the first; the second reuses its counter and is refused as already used.
				assertEqual(await receive(bob, one), "attack at dawn!", "first copy's message");
				await assertRejects(() => receive(bob, two), ["old_message", "decrypt_failed"], "the fork's twin");
			},
	},
};
