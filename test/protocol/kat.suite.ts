// Known-answer tests for FriendLy's own constructions: fixed keys in, fixed bytes out. Any change to a
// label, an info string, a salt, a byte layout or the order of DH outputs changes these values and
// fails here (the interoperability tests alone would not notice a change made on both sides).
// Long outputs are compared through their SHA-256.

import { aesGcmEncrypt } from "../../protocol/crypto/aes-gcm.ts";
import { ecdh, importEcdhPublicKey } from "../../protocol/crypto/ecdh.ts";
import { envelopeSignedBytes } from "../../protocol/crypto/envelope-signature.ts";
import {
	identityDhKeySignedBytes,
	kemPrekeySignedBytes,
	signedPrekeySignedBytes,
	signedPrekeyV2SignedBytes,
} from "../../protocol/crypto/key-signatures.ts";
import { generateMlKemKeyPair, mlKemDecapsulate, mlKemEncapsulate } from "../../protocol/crypto/ml-kem.ts";
import { importP256KeyPair, type P256KeyPair } from "../../protocol/crypto/p256.ts";
import { pad, padme } from "../../protocol/crypto/padme.ts";
import { expandMessageKey, kdfChain, kdfRoot } from "../../protocol/crypto/ratchet-kdf.ts";
import { computeSafetyNumber } from "../../protocol/crypto/safety-number.ts";
import { sha256 } from "../../protocol/crypto/sha.ts";
import {
	associatedDataHash,
	type KemTranscript,
	kemTranscriptInput,
	x3dhInitiator,
	x3dhResponder,
} from "../../protocol/crypto/x3dh.ts";
import { decodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { concatBytes, utf8 } from "../../protocol/encoding/bytes.ts";
import { encodeHeader } from "../../protocol/session/header.ts";
import {
	createMemoryStores,
	createProtocolContext,
	decryptMessage,
	encryptMessage,
	type LocalIdentity,
	manualClock,
	STATE_VERSION,
	SUITE_V1,
	SUITE_V2,
} from "../../protocol/session/index.ts";
import {
	ENVELOPE_SIGNATURE_BYTES,
	ENVELOPE_TAG_BYTES,
	MESSAGE_HEADER_BYTES,
} from "../../protocol/wire/envelope.ts";
import { assertEqual, fromHex, hex, type Suite } from "./harness.ts";

/** Fixed P-256 keys (scalar d, SEC1 point), generated once for these tests. */
const KEYS = {
	aliceSigning: [
		"b5f7ee7dc8c31cc073f910edcee6a4414a9c354efe9a1d2f48a07bef05d14beb",
		"047d10437092a901fd0df50b808407944e73fb929fbc66f38d045002d263c9f749491d4a811cd758b2e2d8d3dc35914fd4eb7f68b4e98ed1e9c0db6f173e565b70",
	],
	aliceDh: [
		"5bc3230487380e085886b5a2fd64a2e2438d48ee2c1afb3f316e57402e91cd29",
		"04ace7b1735c9798d39017bf890bf0b4702b9a1b56c6aa7a37387043153190da105de8618f130f72e4ab7f9d58fb8161367ea096e3cdf35e104e51d92b8b698211",
	],
	aliceEphemeral: [
		"bd7f88696ae3b9948134b5cdc5fa8caba58b88c4cc275eec2f28e913b3c5f050",
		"0404f71b90434aaac775a62e4f28dd67bf9cf80694fbb92ee2a03591e315c96453625f1d5172d50304c11700e23e8e2b1d452c512e8ee250efff4a80bce08e00b7",
	],
	bobSigning: [
		"8ca7ec95ab00b36346a6b0e0e576878743e68d0c78250e3daa6e252fe454df4e",
		"041e66b64b08ed0046ca3ce8a368bfdcc17a3d21b022d3cf6c3cfdaec55db29061745f59c5836754e409420ba465556498817ce169019ded9f321ecd2983d02555",
	],
	bobDh: [
		"fea4cda94ba4565a25208597014b9166342533ff2264c24588ca2f00b0005b29",
		"04f66547a92f78869f32ec760406c898cab267c13c5e010690aad4bcbd2f1824c6b1d3340e77b86a59b6c3ea5b1ba914eb59c8af15c2c1bf4d8f9f46b7d63a4cd8",
	],
	bobSignedPrekey: [
		"35b1bf922bc17d1dcbee8f7db3f43e93b502af8ac70412213983f677dc1a718d",
		"0459b8e9db09009996ef0ef7dd2ac4d75a6440c23f8f94d27c4e32acedccfe4e04f2a7d6ad9a80aeca789619de32bb1965de64fc50638f4f5dea0ae816432f56d8",
	],
	bobOneTimePrekey: [
		"fbc3df3575be1b1be74e4bceca3ae118d4fae6d1ed1859f3d01062c6ec13df0f",
		"04e514c3f72b61b147fde589fccb89a0fd9f0fa73f614d9101b0b93487d4c72224e23156c7ed3b5d404ca3b00b8f4ad9ff2920275b703483c2590d34048cdc19a5",
	],
	bobRatchet: [
		"3a7177b76e854f1ffb7c8e9cb204a18c7cf495884c86c80867da64c85d3b6a34",
		"0466ffdb53c72f8d7edb8415be2cadffaab5c9856a297e7bf7db5a3d83661d09483743a61189521a2ce4d295f1673f656ea94758572704511e51f410508c4d1f4e",
	],
} as const;

type KeyName = keyof typeof KEYS;
const ALICE = "+15555550101";
const BOB = "+15555550102";

async function key(name: KeyName, extractable = false): Promise<P256KeyPair> {
	const [d, point] = KEYS[name];
	return importP256KeyPair(
		name.endsWith("Signing") ? "ECDSA" : "ECDH",
		fromHex(d),
		fromHex(point),
		extractable,
	);
}

const point = (name: KeyName) => fromHex(KEYS[name][1]);

/** Everything the KATs pin, computed from the fixed keys. */
export async function computeKnownAnswers(): Promise<Record<string, string>> {
	const out: Record<string, string> = {};
	out.identityDhKeySignedBytes = hex(identityDhKeySignedBytes(point("aliceDh")));
	out.signedPrekeySignedBytes = hex(await sha256(signedPrekeySignedBytes(7, point("bobSignedPrekey"))));
	const ad = await associatedDataHash(
		{ signingKey: point("aliceSigning"), dhKey: point("aliceDh"), phone: ALICE },
		{ signingKey: point("bobSigning"), dhKey: point("bobDh"), phone: BOB },
	);
	out.associatedData = hex(ad);
	const [aliceDh, aliceEphemeral, bobDh, bobSignedPrekey, bobOneTimePrekey, bobRatchet] = await Promise.all([
		key("aliceDh"),
		key("aliceEphemeral"),
		key("bobDh"),
		key("bobSignedPrekey"),
		key("bobOneTimePrekey"),
		key("bobRatchet"),
	]);
	const pub = (name: KeyName) => importEcdhPublicKey(point(name));
	const initiatorKeys = {
		identityDhPrivate: aliceDh.privateKey,
		ephemeralPrivate: aliceEphemeral.privateKey,
		peerIdentityDh: await pub("bobDh"),
		peerSignedPrekey: await pub("bobSignedPrekey"),
	};
	const withOtk = await x3dhInitiator(
		{ ...initiatorKeys, peerOneTimePrekey: await pub("bobOneTimePrekey") },
		ad,
	);
	const withoutOtk = await x3dhInitiator({ ...initiatorKeys, peerOneTimePrekey: undefined }, ad);
	out.x3dhWithOneTimePrekey = hex(concatBytes(withOtk.rootKey, withOtk.chainKey, withOtk.sessionId));
	out.x3dhWithoutOneTimePrekey = hex(
		concatBytes(withoutOtk.rootKey, withoutOtk.chainKey, withoutOtk.sessionId),
	);
	const responder = await x3dhResponder(
		{
			identityDhPrivate: bobDh.privateKey,
			signedPrekeyPrivate: bobSignedPrekey.privateKey,
			oneTimePrekeyPrivate: bobOneTimePrekey.privateKey,
			peerIdentityDh: await pub("aliceDh"),
			peerEphemeral: await pub("aliceEphemeral"),
		},
		ad,
	);
	out.x3dhResponderAgrees = String(hex(responder.rootKey) === hex(withOtk.rootKey));
	const root = await kdfRoot(withOtk.rootKey, await ecdh(bobRatchet.privateKey, await pub("aliceEphemeral")));
	out.kdfRoot = hex(concatBytes(root.rootKey, root.chainKey));
	const chain = await kdfChain(withOtk.chainKey);
	out.kdfChain = hex(concatBytes(chain.messageKey, chain.chainKey));
	const header = {
		suite: SUITE_V1,
		session: withOtk.sessionId,
		ratchetKey: point("aliceEphemeral"),
		pn: 0,
		n: 0,
		prekey: {
			identity: {
				signingKey: point("aliceSigning"),
				dhKey: point("aliceDh"),
				dhKeySignature: new Uint8Array(64).fill(7),
			},
			signedPrekeyId: 7,
			oneTimePrekeyId: 42,
		},
	};
	const headerBytes = encodeHeader(header);
	out.prekeyHeader = hex(await sha256(headerBytes));
	out.header = hex(encodeHeader({ ...header, pn: 3, n: 258, prekey: undefined }));
	const cipher = await expandMessageKey(chain.messageKey, ad);
	out.messageNonce = hex(cipher.nonce);
	const ciphertext = await aesGcmEncrypt(
		cipher.key,
		cipher.nonce,
		utf8("hello bob"),
		concatBytes(ad, headerBytes),
	);
	out.messageCiphertext = hex(ciphertext);
	out.envelopeSignedBytes = hex(
		await sha256(
			envelopeSignedBytes({
				sender: ALICE,
				recipient: BOB,
				messageId: "m-1",
				header: headerBytes,
				ciphertext,
			}),
		),
	);
	const safety = await computeSafetyNumber(
		{ signingKey: point("aliceSigning"), dhKey: point("aliceDh"), phone: ALICE },
		{ signingKey: point("bobSigning"), dhKey: point("bobDh"), phone: BOB },
	);
	out.safetyNumber = safety.digits;
	return out;
}

const EXPECTED: Record<string, string> = {
	identityDhKeySignedBytes:
		"467269656e644c792d7631206964656e746974792d64682d6b65790004ace7b1735c9798d39017bf890bf0b470" +
		"2b9a1b56c6aa7a37387043153190da105de8618f130f72e4ab7f9d58fb8161367ea096e3cdf35e104e51d92b8b" +
		"698211",
	signedPrekeySignedBytes: "741ce368125eb2a08053fcc027f564866eaf39ae07035886b4a44e3b9175009b",
	associatedData: "876e384471b44c163629285cc56c0865377d2b17da7b369d4cc8da6e5adfbefb",
	x3dhWithOneTimePrekey:
		"84d24164b3a5c6d9e90d579cd36039057ad08a440ecc69a1febddaf02d4c9e449c081aee43392e2e8c17366436" +
		"f358c2aa7b8e3d3dbc47826e00c427c09cf401c7f2adc698ee7dcd77f7a49d81f1769d",
	x3dhWithoutOneTimePrekey:
		"2c39b7321a2996ee30354a6db86f75c106e51495aa2cd2f13762b545553ab7960c450846efe51c1578d07f0334" +
		"a1420cdc88a78c88c56c3915ebc4039690a376dddc626b5961bbb634c9f658bc3f20df",
	x3dhResponderAgrees: "true",
	kdfRoot:
		"b706a1c456faff96af3888df01e5f31b4525ed191c1ffff370cf966c8050451b3029e4bf41d3445abe228bf59c" +
		"cd1897c4ac384cd57f4dd11d1ea0ad45558a77",
	kdfChain:
		"2701421e0a8391dc7d8ed6c00ba175668b0a7dd3f0098402c06e7ea175f53e79ea215f58b9f0c3e39f0312958c" +
		"de0c5a9a7fec149eb54f9d9c12e3cce9336b87",
	prekeyHeader: "a4ce54010b9d3b19a70d091f6963fe2dab87b8dcea51356e9e1e81847e0d2c42",
	header:
		"0101c7f2adc698ee7dcd77f7a49d81f1769d0404f71b90434aaac775a62e4f28dd67bf9cf80694fbb92ee2a035" +
		"91e315c96453625f1d5172d50304c11700e23e8e2b1d452c512e8ee250efff4a80bce08e00b700000003000001" +
		"02",
	messageNonce: "4e8a32afdc49fa2a4aff15b1",
	messageCiphertext: "1eaf7174c0a4237eaa5d133d584be06e3ab4d022bcd9c80015",
	envelopeSignedBytes: "c775e5f378ed8ce7aaab9b0f2a38b817f25b3f9e375f8e78665186841f68a0f8",
	safetyNumber: "267205741227079062004178479392579972217445746843070167304770",
};

/** An envelope Alice's code produced once for fixed-key Bob (signed prekey 7, one-time prekey 42). */
const RECORDED_BODY =
	"AQJR-iyCwLCVMReqE3lF9HY5BB8SDOUmra4-FNLs5a0hFOPt-hd_p3VKMvgboGylAh_4Y6Qim1ZpD7X6OqRRe-cQbOLaOnrq" +
	"l0utqcJ1ZAiL9G4AAAAAAAAAAAR9EENwkqkB_Q31C4CEB5ROc_uSn7xm840EUALSY8n3SUkdSoEc11iy4tjT3DWRT9Trf2i0" +
	"6Y7R6cDbbxc-VltwBKznsXNcl5jTkBe_iQvwtHArmhtWxqp6NzhwQxUxkNoQXehhjxMPcuSrf51Y-4FhNn6gluPN814QTlHZ" +
	"K4tpghGozoisVVVosTFw4l2ojAm9yAxhIEoJZ8xjjgy5SP54jjFNDLaQ9Cj0zcRQcfXiyZOaCAdzqvw1iqYmpreJL_CxAAAA" +
	"BwEAAAAq6zz277WrEJLad7ZPkv0mDq3Zo896FAWcu5fBa69Q5piOEfxgAZB-b-2wHPy5IQQUuEcFRgmfIcX1udxMMU2vn1dC" +
	"3a1wXUglUwvVydxTMccNLAwKdr1dPPacaws";

/** Fixed ML-KEM-768 inputs: Bob's KEM key seed (d || z) and Alice's encapsulation randomness m. */
const BOB_KEM_SEED = fromHex("42".repeat(32) + "17".repeat(32));
const ALICE_KEM_MESSAGE = fromHex("a5".repeat(32));
const MESSAGE_SALT = fromHex("0f".repeat(16));

/** Suite 2's constructions (docs/E2E-PROTOCOL.md §Suite 2), from the same fixed keys. */
export async function computeSuite2KnownAnswers(): Promise<Record<string, string>> {
	const out: Record<string, string> = {};
	const kem = await generateMlKemKeyPair(BOB_KEM_SEED);
	out.kemPublicKey = hex(await sha256(kem.publicKey));
	out.signedPrekeyV2SignedBytes = hex(
		await sha256(signedPrekeyV2SignedBytes(7, point("bobSignedPrekey"), kem.publicKey)),
	);
	out.kemPrekeySignedBytes = hex(await sha256(kemPrekeySignedBytes(9, kem.publicKey)));
	const encapsulated = await mlKemEncapsulate(kem.publicKey, ALICE_KEM_MESSAGE);
	out.kemCiphertext = hex(await sha256(encapsulated.ciphertext));
	out.kemSharedSecret = hex(encapsulated.sharedSecret);
	out.kemDecapsulationAgrees = String(
		hex(await mlKemDecapsulate(encapsulated.ciphertext, kem.secretKey)) === hex(encapsulated.sharedSecret),
	);
	const transcript: KemTranscript = {
		kind: 2,
		keyId: 9,
		publicKey: kem.publicKey,
		ciphertext: encapsulated.ciphertext,
	};
	out.kemTranscript = hex(await sha256(kemTranscriptInput(transcript)));
	const ad = await associatedDataHash(
		{ signingKey: point("aliceSigning"), dhKey: point("aliceDh"), phone: ALICE },
		{ signingKey: point("bobSigning"), dhKey: point("bobDh"), phone: BOB },
	);
	const [aliceDh, aliceEphemeral, bobDh, bobSignedPrekey, bobOneTimePrekey] = await Promise.all([
		key("aliceDh"),
		key("aliceEphemeral"),
		key("bobDh"),
		key("bobSignedPrekey"),
		key("bobOneTimePrekey"),
	]);
	const pub = (name: KeyName) => importEcdhPublicKey(point(name));
	const agreement = { sharedSecret: encapsulated.sharedSecret, transcript };
	const initiator = await x3dhInitiator(
		{
			identityDhPrivate: aliceDh.privateKey,
			ephemeralPrivate: aliceEphemeral.privateKey,
			peerIdentityDh: await pub("bobDh"),
			peerSignedPrekey: await pub("bobSignedPrekey"),
			peerOneTimePrekey: await pub("bobOneTimePrekey"),
		},
		ad,
		agreement,
	);
	out.pqxdh = hex(concatBytes(initiator.rootKey, initiator.chainKey, initiator.sessionId));
	const lastResort = await x3dhInitiator(
		{
			identityDhPrivate: aliceDh.privateKey,
			ephemeralPrivate: aliceEphemeral.privateKey,
			peerIdentityDh: await pub("bobDh"),
			peerSignedPrekey: await pub("bobSignedPrekey"),
			peerOneTimePrekey: undefined,
		},
		ad,
		{ ...agreement, transcript: { ...transcript, kind: 1, keyId: 7 } },
	);
	out.pqxdhLastResort = hex(concatBytes(lastResort.rootKey, lastResort.chainKey, lastResort.sessionId));
	const responder = await x3dhResponder(
		{
			identityDhPrivate: bobDh.privateKey,
			signedPrekeyPrivate: bobSignedPrekey.privateKey,
			oneTimePrekeyPrivate: bobOneTimePrekey.privateKey,
			peerIdentityDh: await pub("aliceDh"),
			peerEphemeral: await pub("aliceEphemeral"),
		},
		ad,
		agreement,
	);
	out.pqxdhResponderAgrees = String(hex(responder.rootKey) === hex(initiator.rootKey));
	const chain = await kdfChain(initiator.chainKey);
	const cipher = await expandMessageKey(chain.messageKey, ad, MESSAGE_SALT);
	out.messageNonceV2 = hex(cipher.nonce);
	const header = {
		suite: SUITE_V2,
		session: initiator.sessionId,
		ratchetKey: point("aliceEphemeral"),
		pn: 0,
		n: 0,
		salt: MESSAGE_SALT,
		prekey: {
			identity: {
				signingKey: point("aliceSigning"),
				dhKey: point("aliceDh"),
				dhKeySignature: new Uint8Array(64).fill(7),
			},
			signedPrekeyId: 7,
			oneTimePrekeyId: 42,
			kem: { kind: "one_time" as const, keyId: 9, ciphertext: encapsulated.ciphertext },
		},
	};
	const headerBytes = encodeHeader(header);
	out.prekeyHeaderV2 = hex(await sha256(headerBytes));
	out.headerV2 = hex(encodeHeader({ ...header, pn: 3, n: 258, prekey: undefined }));
	out.paddedPlaintext = hex(pad(utf8("hello bob")));
	out.messageCiphertextV2 = hex(
		await aesGcmEncrypt(cipher.key, cipher.nonce, pad(utf8("hello bob")), concatBytes(ad, headerBytes)),
	);
	out.padme = [1, 2, 9, 100, 1000, 1001, 48_201, 65_536, 65_537].map((n) => padme(n)).join(",");
	return out;
}

const EXPECTED_V2: Record<string, string> = {
	kemPublicKey: "8cde1b49992415b527e361f52465634978fcc488d6f541c4a1fec97fd14b4661",
	signedPrekeyV2SignedBytes: "6c62e2f28b34bd2c3f8a56f5ca520f90f5463e967b37f6373d5c1b5f53abcf8c",
	kemPrekeySignedBytes: "370b80e944bec5c11851ae0697a23a3e03562c79e4efb3338939a6e05ac84c86",
	kemCiphertext: "3b91c1241b89fa0e73943eed64feee2532a5f4c8b2b4df2dd6bad67d510d3b3f",
	kemSharedSecret: "482d90e3e4ea07119e714d75bc509deb705f310885880ae6f9020b5f3660e796",
	kemDecapsulationAgrees: "true",
	kemTranscript: "391a02d2345c910e3c9e8fff5771a15b8b708039545ff31517b834ee942a6804",
	pqxdh:
		"9fcc3d16565200067fc72228d13c3c59b7f727d697af34d66dc3ef6acc2ceccbae3137b2b98404488a47a506be" +
		"03384d4667a1c2b5ed2617507e9d533c1457eb8c811992586be4f6a36021655a2ea4d1",
	pqxdhLastResort:
		"38148fcf34531116a64caa70c291c11981858586c3621faf9d8d2289e83e7daaa711b814ed8e3c46148e4af51e" +
		"2cf7245a5df054c3a381b813aa40a1eed556092e8e9df35d6744746d9a01db82d04e0f",
	pqxdhResponderAgrees: "true",
	messageNonceV2: "4fb1f25b3e032e5b45ed1771",
	prekeyHeaderV2: "b42bc00e70e0052d2351fa7cb0e8500442dea16ffb7ad5124492291cc86c0168",
	headerV2:
		"02018c811992586be4f6a36021655a2ea4d10404f71b90434aaac775a62e4f28dd67bf9cf80694fbb92ee2a035" +
		"91e315c96453625f1d5172d50304c11700e23e8e2b1d452c512e8ee250efff4a80bce08e00b700000003000001" +
		"020f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f",
	paddedPlaintext: "68656c6c6f20626f6280",
	messageCiphertextV2: "d2eeda3947e6ad7f14959d2c8da123d7cfec54e598bb481447a3",
	padme: "1,2,10,104,1024,1024,49152,65536,67584",
};

export const katSuite: Suite = {
	name: "known answers",
	cases: {
		"suite 2 constructions give the recorded bytes": async () => {
			const actual = await computeSuite2KnownAnswers();
			for (const [name, value] of Object.entries(EXPECTED_V2)) assertEqual(actual[name], value, name);
			assertEqual(Object.keys(actual).length, Object.keys(EXPECTED_V2).length, "every output is pinned");
		},
		"constructions give the recorded bytes": async () => {
			const actual = await computeKnownAnswers();
			for (const [name, value] of Object.entries(EXPECTED)) assertEqual(actual[name], value, name);
			assertEqual(Object.keys(actual).length, Object.keys(EXPECTED).length, "every output is pinned");
		},
		"a recorded first message from fixed keys still decrypts": async () => {
			const stores = createMemoryStores();
			const [signing, dh, spk, otk] = await Promise.all([
				key("bobSigning"),
				key("bobDh"),
				key("bobSignedPrekey"),
				key("bobOneTimePrekey"),
			]);
			const identity: LocalIdentity = {
				v: STATE_VERSION,
				suite: SUITE_V1,
				signing,
				dh,
				dhKeySignature: new Uint8Array(64),
				createdAt: 0,
			};
			await stores.identities.storeLocalIdentity(identity);
			await stores.prekeys.storeSignedPrekey({
				v: STATE_VERSION,
				suite: SUITE_V1,
				keyId: 7,
				keyPair: spk,
				signature: new Uint8Array(64),
				createdAt: 0,
			});
			await stores.prekeys.storeOneTimePrekeys([
				{ v: STATE_VERSION, suite: SUITE_V1, keyId: 42, keyPair: otk, createdAt: 0 },
			]);
			const context = createProtocolContext({ phone: BOB, stores, clock: manualClock(0) });
			const result = await decryptMessage(context, { from: ALICE, id: "kat-1", body: RECORDED_BODY });
			assertEqual(new TextDecoder().decode(result.plaintext), "known answer", "plaintext");
			// A suite-1 session keeps its suite: the answer is a version-1 envelope, unpadded and unsalted.
			const reply = await encryptMessage(context, {
				to: ALICE,
				id: "kat-2",
				plaintext: utf8("still suite 1"),
			});
			const raw = decodeBase64Url(reply);
			assertEqual(raw?.[0], SUITE_V1, "reply envelope version");
			assertEqual(
				raw?.length,
				MESSAGE_HEADER_BYTES + utf8("still suite 1").length + ENVELOPE_TAG_BYTES + ENVELOPE_SIGNATURE_BYTES,
				"unpadded suite-1 size",
			);
			const record = await stores.sessions.loadSessionRecord(ALICE);
			assertEqual(record?.sessions[0]?.suite, SUITE_V1, "stored session suite");
		},
	},
};
