// Tampering and misdirection: every modified, relabelled, moved, reflected or downgraded envelope and
// every bad bundle is rejected with the right error code, and leaves the recipient's state unchanged.

import { generateEcdhKeyPair } from "../../protocol/crypto/ecdh.ts";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import {
	createLocalIdentity,
	encryptMessage,
	MAX_SKIP,
	type ProtocolErrorCode,
	publicIdentity,
	serializeSessionRecord,
} from "../../protocol/session/index.ts";
import type { PrekeyBundle } from "../../protocol/wire/keys.ts";
import { requireE164 } from "../../protocol/wire/phone.ts";
import {
	closeBody,
	type EnvelopeView,
	editBody,
	flipBase64,
	flipBodyBit,
	openBody,
	resign,
} from "./envelope-tools.ts";
import { Directory, makeParty, type Party, PHONES, receive, type Sent, send, text } from "./fixtures.ts";
import { assert, assertEqual, assertRejects, type Suite, seededRandom } from "./harness.ts";

async function trio() {
	const directory = new Directory();
	const alice = await makeParty(PHONES.alice, directory);
	const bob = await makeParty(PHONES.bob, directory);
	const carol = await makeParty(PHONES.carol, directory);
	return { directory, alice, bob, carol };
}

async function snapshot(party: Party, peer: string): Promise<string> {
	const record = await party.stores.sessions.loadSessionRecord(peer);
	return record ? serializeSessionRecord(record) : "none";
}

type Edit = (envelope: EnvelopeView) => EnvelopeView | undefined;

const FIELD_EDITS: ReadonlyArray<[string, Edit, readonly ProtocolErrorCode[]]> = [
	["session", (e) => ({ ...e, session: flipBase64(e.session) }), ["bad_signature"]],
	["ratchetKey", (e) => ({ ...e, ratchetKey: flipBase64(e.ratchetKey) }), ["bad_signature"]],
	["pn", (e) => ({ ...e, pn: e.pn ^ 1 }), ["bad_signature"]],
	["n", (e) => ({ ...e, n: e.n ^ 1 }), ["bad_signature"]],
	[
		"ciphertext (first byte)",
		(e) => ({ ...e, ciphertext: flipBase64(e.ciphertext, 0, 7) }),
		["bad_signature"],
	],
	["ciphertext (tag)", (e) => ({ ...e, ciphertext: flipBase64(e.ciphertext) }), ["bad_signature"]],
	["signature", (e) => ({ ...e, signature: flipBase64(e.signature, 10, 3) }), ["bad_signature"]],
	["salt", (e) => ({ ...e, salt: e.salt && flipBase64(e.salt) }), ["bad_signature"]],
	["version 3", (e) => ({ ...e, v: 3 }), ["unsupported_version"]],
	["version 0 (downgrade)", (e) => ({ ...e, v: 0 }), ["unsupported_version"]],
	// Read as a suite-1 layout, the fields shift: it no longer parses, or the signature fails.
	["version 1 (downgrade to suite 1)", (e) => ({ ...e, v: 1 }), ["malformed", "bad_signature"]],
	["ratchet key prefix", (e) => ({ ...e, ratchetKey: flipBase64(e.ratchetKey, 0, 1) }), ["malformed"]],
];

const PREKEY_EDITS: ReadonlyArray<[string, Edit, readonly ProtocolErrorCode[]]> = [
	[
		"prekey.identity.signingKey",
		(e) =>
			e.prekey && {
				...e,
				prekey: {
					...e.prekey,
					identity: { ...e.prekey.identity, signingKey: flipBase64(e.prekey.identity.signingKey) },
				},
			},
		["invalid_key", "bad_signature"],
	],
	[
		"prekey.identity.dhKey",
		(e) =>
			e.prekey && {
				...e,
				prekey: {
					...e.prekey,
					identity: { ...e.prekey.identity, dhKey: flipBase64(e.prekey.identity.dhKey) },
				},
			},
		["bad_signature"],
	],
	[
		"prekey.identity.dhKeySignature",
		(e) =>
			e.prekey && {
				...e,
				prekey: {
					...e.prekey,
					identity: { ...e.prekey.identity, dhKeySignature: flipBase64(e.prekey.identity.dhKeySignature) },
				},
			},
		["bad_signature"],
	],
	[
		"prekey.signedPrekeyId",
		(e) => e.prekey && { ...e, prekey: { ...e.prekey, signedPrekeyId: e.prekey.signedPrekeyId ^ 1 } },
		["bad_signature"],
	],
	[
		"prekey.oneTimePrekeyId",
		(e) =>
			e.prekey && { ...e, prekey: { ...e.prekey, oneTimePrekeyId: (e.prekey.oneTimePrekeyId ?? 0) ^ 1 } },
		["bad_signature"],
	],
	[
		"prekey.kem.ciphertext",
		(e) =>
			e.prekey?.kem && {
				...e,
				prekey: { ...e.prekey, kem: { ...e.prekey.kem, ciphertext: flipBase64(e.prekey.kem.ciphertext, 7) } },
			},
		["bad_signature"],
	],
	[
		"prekey.kem.keyId",
		(e) =>
			e.prekey?.kem && {
				...e,
				prekey: { ...e.prekey, kem: { ...e.prekey.kem, keyId: e.prekey.kem.keyId ^ 1 } },
			},
		["bad_signature"],
	],
	[
		"prekey.kem.kind",
		(e) =>
			e.prekey?.kem && {
				...e,
				prekey: {
					...e.prekey,
					kem: { ...e.prekey.kem, kind: e.prekey.kem.kind === "one_time" ? "last_resort" : "one_time" },
				},
			},
		["bad_signature"],
	],
	// Without the prekey header and without a pin or session, the envelope cannot be attributed at all.
	["prekey removed", (e) => ({ ...e, prekey: undefined }), ["no_session"]],
];

/** Edits of the raw layout (docs/E2E-PROTOCOL.md §Envelope). */
const RAW_EDITS: ReadonlyArray<
	[string, (raw: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>, readonly ProtocolErrorCode[]]
> = [
	["type byte 3", (raw) => raw.map((b, i) => (i === 1 ? 3 : b)), ["malformed"]],
	["type byte 0", (raw) => raw.map((b, i) => (i === 1 ? 0 : b)), ["malformed"]],
	["truncated below header + tag + signature", (raw) => raw.slice(0, 100), ["malformed"]],
	["one byte appended", (raw) => Uint8Array.of(...raw, 0), ["bad_signature"]],
	["one byte removed", (raw) => raw.slice(0, raw.length - 1), ["bad_signature"]],
	// Suite 2 offsets (protocol/wire/envelope.ts): flag at 305, KEM prekey kind at 310.
	["prekey: one-time prekey flag 2", (raw) => raw.map((b, i) => (i === 305 ? 2 : b)), ["malformed"]],
	["prekey: KEM prekey kind 3", (raw) => raw.map((b, i) => (i === 310 ? 3 : b)), ["malformed"]],
];

async function checkEdits(
	recipient: Party,
	message: Sent,
	edits: ReadonlyArray<[string, Edit, readonly ProtocolErrorCode[]]>,
): Promise<void> {
	const before = await snapshot(recipient, message.from);
	for (const [field, edit, codes] of edits) {
		const edited = edit(openBody(message.body));
		assert(edited, `${field} applies`);
		await assertRejects(() => receive(recipient, { ...message, body: closeBody(edited) }), codes, field);
	}
	for (const [what, edit, codes] of RAW_EDITS) {
		if (what.startsWith("prekey") && !openBody(message.body).prekey) continue;
		await assertRejects(
			() => receive(recipient, { ...message, body: editBody(message.body, edit) }),
			codes,
			what,
		);
	}
	assertEqual(await snapshot(recipient, message.from), before, "state unchanged by tampered envelopes");
	assertEqual(await receive(recipient, message), message.plaintext, "the genuine envelope still decrypts");
}

function withBundle(from: Party, to: string, bundle: PrekeyBundle, id = "b1") {
	return () =>
		encryptMessage(from.context, { to, id, plaintext: text("x"), fetchBundle: async () => bundle });
}

export const tamperSuite: Suite = {
	name: "tamper",
	cases: {
		"a flipped bit in any field of a first (prekey) message is rejected": async () => {
			const { alice, bob } = await trio();
			const first = await send(alice, bob, "first");
			await checkEdits(bob, first, [...FIELD_EDITS, ...PREKEY_EDITS]);
		},

		"a flipped bit in any field of a follow-up message is rejected": async () => {
			const { alice, bob } = await trio();
			await receive(bob, await send(alice, bob, "setup"));
			await receive(alice, await send(bob, alice, "reply"));
			const later = await send(alice, bob, "later");
			await checkEdits(bob, later, FIELD_EDITS);
		},

		"random single-bit flips anywhere in the body are all rejected": async () => {
			const { alice, bob } = await trio();
			await receive(bob, await send(alice, bob, "setup"));
			const first = await send(bob, alice, "prekey-free reply");
			const random = seededRandom(5869);
			const before = await snapshot(alice, bob.phone);
			for (let i = 0; i < 200; i++) {
				const body = flipBodyBit(first.body, random.int(1 << 20));
				await assertRejects(
					() => receive(alice, { ...first, body }),
					[
						"malformed",
						"bad_signature",
						"unsupported_version",
						"invalid_key",
						"no_session",
						"wrong_recipient",
					],
					`flip ${i}`,
				);
			}
			assertEqual(await snapshot(alice, bob.phone), before, "state unchanged");
			assertEqual(await receive(alice, first), first.plaintext, "genuine still decrypts");
		},

		"a relabelled sender is rejected": async () => {
			const { alice, bob, carol } = await trio();
			const first = await send(alice, bob, "from alice");
			await assertRejects(
				() => receive(bob, { ...first, from: carol.phone }),
				"bad_signature",
				"prekey message as carol",
			);
			await receive(bob, first);
			await receive(bob, await send(carol, bob, "carol's own"));
			const later = await send(alice, bob, "later");
			await assertRejects(
				() => receive(bob, { ...later, from: carol.phone }),
				"bad_signature",
				"follow-up as carol",
			);
			assertEqual(await receive(bob, later), "later", "genuine still decrypts");
		},

		"a ciphertext moved to another conversation is rejected": async () => {
			const { alice, bob, carol } = await trio();
			await receive(bob, await send(alice, bob, "ab"));
			await receive(carol, await send(alice, carol, "ac"));
			const toBob = await send(alice, bob, "for bob only");
			await assertRejects(() => receive(carol, toBob), "bad_signature", "delivered to carol");
			const toBob2 = await send(alice, bob, "second");
			const spliced = { ...openBody(toBob2.body), ciphertext: openBody(toBob.body).ciphertext };
			await assertRejects(
				() => receive(bob, { ...toBob2, body: closeBody(spliced) }),
				"bad_signature",
				"spliced ciphertext",
			);
			const toCarol = await send(alice, carol, "for carol");
			const splicedAcross = { ...openBody(toBob2.body), ciphertext: openBody(toCarol.body).ciphertext };
			await assertRejects(
				() => receive(bob, { ...toBob2, body: closeBody(splicedAcross) }),
				"bad_signature",
				"across",
			);
			assertEqual(await receive(bob, toBob), "for bob only", "bob reads his");
			assertEqual(await receive(bob, toBob2), "second", "and the next");
		},

		"an envelope sent back to its author is rejected": async () => {
			const { alice, bob } = await trio();
			const first = await send(alice, bob, "first");
			await assertRejects(
				() => receive(alice, { ...first, from: bob.phone }),
				"wrong_recipient",
				"reflected prekey message",
			);
			await receive(bob, first);
			await receive(alice, await send(bob, alice, "reply"));
			const later = await send(alice, bob, "later");
			await assertRejects(
				() => receive(alice, { ...later, from: bob.phone }),
				"wrong_recipient",
				"reflected follow-up",
			);
		},

		"bundles: wrong prekey signature, wrong identity signature, swapped identity, wrong phone, bad point":
			async () => {
				const { directory, alice, bob, carol } = await trio();
				const good = directory.bundle(bob.phone);
				const badSpk = {
					...good,
					signedPrekey: { ...good.signedPrekey, signature: flipBase64(good.signedPrekey.signature, 5) },
				};
				await assertRejects(withBundle(alice, bob.phone, badSpk), "bad_signature", "signed prekey signature");
				const otherSpk = directory.bundle(carol.phone).signedPrekey;
				await assertRejects(
					withBundle(alice, bob.phone, { ...good, signedPrekey: otherSpk }),
					"bad_signature",
					"signed prekey of another identity",
				);
				const badId = {
					...good,
					identity: { ...good.identity, dhKeySignature: flipBase64(good.identity.dhKeySignature, 3) },
				};
				await assertRejects(withBundle(alice, bob.phone, badId), "bad_signature", "identity DH signature");
				await assertRejects(
					withBundle(alice, bob.phone, { ...good, phone: requireE164(carol.phone) }),
					"wrong_recipient",
					"phone",
				);
				const bogusPoint = encodeBase64Url(Uint8Array.of(4, ...new Uint8Array(64).fill(1)));
				await assertRejects(
					withBundle(alice, bob.phone, { ...good, oneTimePrekey: { keyId: 1, publicKey: bogusPoint } }),
					"invalid_key",
					"one-time prekey not on the curve",
				);
				const ownBundle = directory.bundle(alice.phone);
				await assertRejects(
					withBundle(alice, bob.phone, { ...ownBundle, phone: requireE164(bob.phone) }),
					"wrong_recipient",
					"own keys",
				);
				// Pin bob, then let the relay swap in another identity (signed consistently by the relay's key).
				await receive(bob, await send(alice, bob, "pin"));
				await alice.stores.sessions.deleteSessionRecord(bob.phone);
				const mallory = await createLocalIdentity({ extractable: true });
				const swapped = {
					...directory.bundle(carol.phone),
					phone: requireE164(bob.phone),
					identity: publicIdentity(mallory),
				};
				await assertRejects(
					withBundle(alice, bob.phone, swapped, "b2"),
					["untrusted_identity", "bad_signature"],
					"swap",
				);
				const mallorySigned = { ...good, identity: directory.bundle(carol.phone).identity };
				await assertRejects(
					withBundle(alice, bob.phone, mallorySigned, "b3"),
					["bad_signature"],
					"carol's identity",
				);
				const carolWhole = { ...directory.bundle(carol.phone), phone: requireE164(bob.phone) };
				await assertRejects(
					withBundle(alice, bob.phone, carolWhole, "b4"),
					"untrusted_identity",
					"consistent swap",
				);
				assertEqual(
					await alice.stores.sessions.loadSessionRecord(bob.phone),
					undefined,
					"no session from a bad bundle",
				);
			},

		"a validly signed forged ciphertext is decrypt_failed and changes nothing": async () => {
			const { alice, bob } = await trio();
			await receive(bob, await send(alice, bob, "setup"));
			const message = await send(alice, bob, "real");
			const identity = await alice.context.localIdentity();
			const forged = {
				...openBody(message.body),
				ciphertext: flipBase64(openBody(message.body).ciphertext, 0),
			};
			const body = await resign(forged, identity, {
				sender: alice.phone,
				recipient: bob.phone,
				messageId: message.id,
			});
			const before = await snapshot(bob, alice.phone);
			await assertRejects(() => receive(bob, { ...message, body }), "decrypt_failed", "forged ciphertext");
			assertEqual(await snapshot(bob, alice.phone), before, "state unchanged");
			assertEqual(await receive(bob, message), "real", "real one decrypts");
		},

		"skipping more than MAX_SKIP messages is too_far_ahead": async () => {
			const { alice, bob } = await trio();
			await receive(bob, await send(alice, bob, "setup"));
			const identity = await alice.context.localIdentity();
			const route = { sender: alice.phone, recipient: bob.phone, messageId: "far" };
			const message = await send(alice, bob, "next", "far");
			const envelope = openBody(message.body);
			const sameChain = await resign({ ...envelope, n: envelope.n + MAX_SKIP + 1 }, identity, route);
			await assertRejects(() => receive(bob, { ...message, body: sameChain }), "too_far_ahead", "same chain");
			const fresh = await generateEcdhKeyPair(false);
			const newChain = await resign(
				{ ...envelope, ratchetKey: encodeBase64Url(fresh.publicKey), n: MAX_SKIP + 1 },
				identity,
				route,
			);
			await assertRejects(() => receive(bob, { ...message, body: newChain }), "too_far_ahead", "new chain");
			const oldChain = await resign(
				{ ...envelope, ratchetKey: encodeBase64Url(fresh.publicKey), pn: envelope.n + MAX_SKIP + 2, n: 0 },
				identity,
				route,
			);
			await assertRejects(
				() => receive(bob, { ...message, body: oldChain }),
				"too_far_ahead",
				"previous chain",
			);
			assertEqual(await receive(bob, message), "next", "genuine still decrypts");
		},

		"a prekey header naming another identity than the session's is rejected": async () => {
			const { alice, bob } = await trio();
			const first = await send(alice, bob, "one");
			const second = await send(alice, bob, "two");
			await receive(bob, first);
			const mallory = publicIdentity(await createLocalIdentity({ extractable: true }));
			const envelope = openBody(second.body);
			assert(envelope.prekey, "still a prekey message");
			const edited = { ...envelope, prekey: { ...envelope.prekey, identity: mallory } };
			await assertRejects(
				() => receive(bob, { ...second, body: closeBody(edited) }),
				"bad_signature",
				"swapped",
			);
			assertEqual(await receive(bob, second), "two", "genuine");
		},

		"non-envelope bodies are malformed, other versions unsupported": async () => {
			const { alice, bob } = await trio();
			const cases: ReadonlyArray<[string, string, ProtocolErrorCode]> = [
				["not base64url", "not base64!", "malformed"],
				["padding", "AAAA==", "malformed"],
				["empty", "", "malformed"],
				["one byte", encodeBase64Url(Uint8Array.of(1)), "malformed"],
				["JSON text", encodeBase64Url(text('{"v":1}')), "unsupported_version"],
				["header only", encodeBase64Url(Uint8Array.of(1, 1, ...new Uint8Array(89))), "malformed"],
				["version 0", encodeBase64Url(Uint8Array.of(0, 1, ...new Uint8Array(300))), "unsupported_version"],
				[
					"version 255",
					encodeBase64Url(Uint8Array.of(255, 1, ...new Uint8Array(300))),
					"unsupported_version",
				],
				["all-zero message", encodeBase64Url(Uint8Array.of(1, 1, ...new Uint8Array(300))), "malformed"],
			];
			for (const [what, body, code] of cases) {
				await assertRejects(() => receive(bob, { from: alice.phone, id: "x", body }), code, what);
			}
		},
	},
};
