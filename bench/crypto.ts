// Cost of the end-to-end library per message and per handshake, beside the raw WebCrypto cost of the
// same primitive calls measured in the same run ("floor"): the floor does exactly the subtle calls the
// construction needs (same inputs sizes, same concurrency) and nothing else: no parsing, encoding,
// state handling, locks or stores. Targets (bench issue): library <= 1.3x floor per message and
// <= 1.5x per handshake.
//
// Rows:
//   message            encrypt + decrypt in an established chain (the common case: several in a row)
//   message + ratchet  encrypt + decrypt where the receive performs a DH ratchet step (ping-pong)
//   handshake          suite 2 (PQXDH-style): initiator: bundle checks (three signatures) + ML-KEM-768
//                      encapsulation + X3DH + first message; responder: checks + decapsulation + X3DH +
//                      ratchet init + first message decrypt. Fresh contexts (no cached imports). The floor
//                      makes the same WebCrypto calls plus the same ML-KEM-768 calls (@noble/post-quantum,
//                      directly, without the wrapper's checks).
// Sizes (not timed, printed beside): the suite-2 bundle (JSON, as GET /v1/keys/:phone returns it) and
// prekey message (decoded envelope) beside their suite-1 sizes.

import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import {
	identityDhKeySignedBytes,
	kemPrekeySignedBytes,
	signedPrekeyV2SignedBytes,
} from "../protocol/crypto/key-signatures.ts";
import { decodeBase64Url, encodeBase64Url } from "../protocol/encoding/base64url.ts";
import {
	encryptMessage,
	generateKemPrekeys,
	generateOneTimePrekeys,
	generateSignedPrekey,
	publicIdentity,
} from "../protocol/session/index.ts";
import {
	ENVELOPE_SIGNATURE_BYTES,
	ENVELOPE_TAG_BYTES,
	PREKEY_HEADER_BYTES,
	PREKEY_HEADER_V2_BYTES,
} from "../protocol/wire/envelope.ts";
import type { PrekeyBundle } from "../protocol/wire/keys.ts";
import { requireE164 } from "../protocol/wire/phone.ts";
import { clock, createWorkload, phone } from "./crypto-workload.ts";

/** A size printed beside the timings: the suite-2 figure and the suite-1 one it replaces. */
export interface SizeRow {
	readonly name: string;
	readonly bytes: number;
	readonly suite1Bytes: number;
}

export interface BenchRow {
	readonly name: string;
	readonly libraryMicros: number;
	readonly floorMicros: number;
	readonly ratio: number;
	readonly target: number;
	readonly iterations: number;
}

const subtle = globalThis.crypto.subtle;
const ALICE = "+15555550101";
const BOB = "+15555550102";
const PLAINTEXT = new TextEncoder().encode("x".repeat(100));
/** What suite 2 encrypts for PLAINTEXT: Padmé of 101 bytes (the 0x80 marker included) is 104. */
const PADDED_PLAINTEXT = new Uint8Array(104);

// ---------------------------------------------------------------- timing

const median = (values: number[]): number => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

interface Contender {
	prepare(i: number): Promise<void> | void;
	op(i: number): Promise<unknown>;
}

async function sample(contender: Contender, i: number): Promise<number> {
	await contender.prepare(i);
	const start = performance.now();
	await contender.op(i);
	return performance.now() - start;
}

/**
 * Alternates one library operation and one floor operation, so both see the same machine load, and
 * reports the median per-operation time of each (robust to GC pauses and other processes).
 */
async function compare(
	name: string,
	target: number,
	iterations: number,
	library: Contender,
	floor: Contender,
): Promise<BenchRow> {
	const lib: number[] = [];
	const raw: number[] = [];
	const warmup = Math.ceil(iterations / 5);
	for (let i = 0; i < warmup + iterations; i++) {
		const first = i % 2 === 0;
		const a = await sample(first ? library : floor, i);
		const b = await sample(first ? floor : library, i);
		if (i < warmup) continue;
		lib.push(first ? a : b);
		raw.push(first ? b : a);
	}
	const libraryMicros = median(lib) * 1000;
	const floorMicros = median(raw) * 1000;
	return { name, libraryMicros, floorMicros, ratio: libraryMicros / floorMicros, target, iterations };
}

// ---------------------------------------------------------------- library side

let messageCounter = 0;
const nextId = () => `b${++messageCounter}`;

// ---------------------------------------------------------------- floor side (raw WebCrypto)

const ECDH = { name: "ECDH", namedCurve: "P-256" } as const;
const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" } as const;
const HMAC = { name: "HMAC", hash: "SHA-256" } as const;
/** The longest info string the library passes for messages: "FriendLy-v2 message-keys" ‖ 16-byte salt. */
const INFO = new Uint8Array(40);
const ONE = Uint8Array.of(1);
const TWO = Uint8Array.of(2);

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.length;
	}
	return out;
}

async function hkdf(ikm: Uint8Array<ArrayBuffer>, salt: Uint8Array<ArrayBuffer>, bytes: number) {
	const key = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
	return new Uint8Array(
		await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info: INFO }, key, bytes * 8),
	);
}

async function chainStep(chainKey: Uint8Array<ArrayBuffer>) {
	const key = await subtle.importKey("raw", chainKey, HMAC, false, ["sign"]);
	const [mk, next] = await Promise.all([subtle.sign("HMAC", key, ONE), subtle.sign("HMAC", key, TWO)]);
	return { mk: new Uint8Array(mk), next: new Uint8Array(next) };
}

async function messageKeys(mk: Uint8Array<ArrayBuffer>, ad: Uint8Array<ArrayBuffer>) {
	const okm = await hkdf(mk, ad, 44);
	const key = await subtle.importKey("raw", okm.subarray(0, 32), "AES-GCM", false, ["encrypt", "decrypt"]);
	return { key, iv: okm.slice(32) };
}

const dh = async (priv: CryptoKey, pub: CryptoKey) =>
	new Uint8Array(await subtle.deriveBits({ name: "ECDH", public: pub }, priv, 256));

interface RawSide {
	chainKey: Uint8Array<ArrayBuffer>;
}

async function rawEncrypt(
	side: RawSide,
	ad: Uint8Array<ArrayBuffer>,
	header: Uint8Array<ArrayBuffer>,
	signer: CryptoKey,
) {
	const step = await chainStep(side.chainKey);
	side.chainKey = step.next;
	// Suite 2: a fresh 16-byte salt per message (in the header; the HKDF info length is the floor's INFO).
	crypto.getRandomValues(new Uint8Array(16));
	const { key, iv } = await messageKeys(step.mk, ad);
	const ct = new Uint8Array(
		await subtle.encrypt({ name: "AES-GCM", iv, additionalData: concat(ad, header) }, key, PADDED_PLAINTEXT),
	);
	const signed = concat(new Uint8Array(60), header, ct);
	const signature = new Uint8Array(await subtle.sign(ECDSA_SHA256, signer, signed));
	return { ct, signature, signed };
}

async function rawDecrypt(
	side: RawSide,
	ad: Uint8Array<ArrayBuffer>,
	header: Uint8Array<ArrayBuffer>,
	message: {
		ct: Uint8Array<ArrayBuffer>;
		signature: Uint8Array<ArrayBuffer>;
		signed: Uint8Array<ArrayBuffer>;
	},
	verifier: CryptoKey,
) {
	if (!(await subtle.verify(ECDSA_SHA256, verifier, message.signature, message.signed)))
		throw new Error("floor: bad sig");
	const step = await chainStep(side.chainKey);
	side.chainKey = step.next;
	const { key, iv } = await messageKeys(step.mk, ad);
	return subtle.decrypt({ name: "AES-GCM", iv, additionalData: concat(ad, header) }, key, message.ct);
}

// ---------------------------------------------------------------- benches

export async function benchCrypto(options: { quick?: boolean } = {}): Promise<BenchRow[]> {
	const rows: BenchRow[] = [];

	// The library side: an established session for the message rows, and for the handshakes fresh
	// contexts and pins each time with a fresh one-time prekey pair (crypto-workload.ts).
	const handshakes = options.quick ? 60 : 300;
	const workload = await createWorkload("01", Math.ceil(handshakes * 1.3) + 10);
	const { alice, bob, signedPrekey: spk, otks, kems } = workload.parties;

	const aliceSigning = alice.identity.signing.privateKey;
	const aliceVerifier = await subtle.importKey("raw", alice.identity.signing.publicKey, ECDSA, false, [
		"verify",
	]);
	const ad = crypto.getRandomValues(new Uint8Array(32));
	const header = crypto.getRandomValues(new Uint8Array(107));
	const sender: RawSide = { chainKey: crypto.getRandomValues(new Uint8Array(32)) };
	const receiver: RawSide = { chainKey: new Uint8Array(sender.chainKey) };

	rows.push(
		await compare(
			"message (encrypt + decrypt, same chain)",
			1.3,
			options.quick ? 500 : 3000,
			{ prepare: () => {}, op: workload.message },
			{
				prepare: () => {},
				op: async () =>
					rawDecrypt(receiver, ad, header, await rawEncrypt(sender, ad, header, aliceSigning), aliceVerifier),
			},
		),
	);

	// Ping-pong: every receive performs a DH ratchet step.
	const rawA: RawSide & { ratchet?: CryptoKeyPair } = {
		chainKey: crypto.getRandomValues(new Uint8Array(32)),
	};
	const rawB: RawSide = { chainKey: new Uint8Array(rawA.chainKey) };
	let rootKey = crypto.getRandomValues(new Uint8Array(32));
	let peerRatchet = await subtle.generateKey(ECDH, true, ["deriveBits"]);
	let peerRatchetRaw = new Uint8Array(await subtle.exportKey("raw", peerRatchet.publicKey));
	rows.push(
		await compare(
			"message + DH ratchet step (ping-pong)",
			1.3,
			options.quick ? 300 : 1500,
			{ prepare: () => {}, op: workload.pingPong },
			{
				prepare: () => {},
				op: async () => {
					const used = rawA.chainKey;
					const sent = await rawEncrypt(rawA, ad, header, aliceSigning);
					if (!(await subtle.verify(ECDSA_SHA256, aliceVerifier, sent.signature, sent.signed)))
						throw new Error("sig");
					// DH ratchet step on receipt: import the new remote key, two DH + two root KDFs, one new key pair.
					const remote = await subtle.importKey("raw", peerRatchetRaw, ECDH, true, []);
					const own = peerRatchet.privateKey;
					const receiving = await hkdf(await dh(own, remote), rootKey, 64);
					const next = await subtle.generateKey(ECDH, false, ["deriveBits"]);
					const nextRaw = new Uint8Array(await subtle.exportKey("raw", next.publicKey));
					const sending = await hkdf(await dh(next.privateKey, remote), receiving.slice(0, 32), 64);
					rootKey = sending.slice(0, 32);
					rawB.chainKey = receiving.slice(32);
					rawA.chainKey = sending.slice(32);
					peerRatchet = next;
					peerRatchetRaw = nextRaw;
					// Same cost as stepping the new receiving chain; the sender's chain key keeps the floor decryptable.
					const step = await chainStep(used);
					const { key, iv } = await messageKeys(step.mk, ad);
					return subtle.decrypt({ name: "AES-GCM", iv, additionalData: concat(ad, header) }, key, sent.ct);
				},
			},
		),
	);

	const aliceIdentityRaw = {
		signing: alice.identity.signing.publicKey,
		dh: alice.identity.dh.publicKey,
		dhSig: alice.identity.dhKeySignature,
	};
	const bobRaw = {
		signing: bob.identity.signing.publicKey,
		dh: bob.identity.dh.publicKey,
		dhSig: bob.identity.dhKeySignature,
		spk: spk.record.keyPair.publicKey,
		spkKem: spk.record.kem?.publicKey ?? new Uint8Array(),
		spkSig: spk.record.signature,
	};
	let rawOtkIndex = 0;

	rows.push(
		await compare(
			"handshake, suite 2 (PQXDH both sides + first message)",
			1.5,
			handshakes,
			{ prepare: workload.prepareHandshake, op: workload.handshake },
			{
				prepare: () => {},
				op: async () => {
					const index = rawOtkIndex++;
					const otk = otks[index % otks.length];
					const kem = kems[index % kems.length];
					if (!otk || !kem) throw new Error("no otk");
					// Initiator: import and check Bob's keys (identity, signed prekey with its KEM key, one-time
					// KEM prekey), encapsulate, X3DH with the KEM secret, first message.
					const bobVerify = await subtle.importKey("raw", bobRaw.signing, ECDSA, false, ["verify"]);
					const [okId, okSpk, okKem] = await Promise.all([
						subtle.verify(ECDSA_SHA256, bobVerify, bobRaw.dhSig, identityDhKeySignedBytes(bobRaw.dh)),
						subtle.verify(
							ECDSA_SHA256,
							bobVerify,
							bobRaw.spkSig,
							signedPrekeyV2SignedBytes(1, bobRaw.spk, bobRaw.spkKem),
						),
						subtle.verify(
							ECDSA_SHA256,
							bobVerify,
							kem.signature,
							kemPrekeySignedBytes(kem.keyId, kem.keyPair.publicKey),
						),
					]);
					if (!okId || !okSpk || !okKem) throw new Error("floor: bad bundle signature");
					const encapsulated = ml_kem768.encapsulate(kem.keyPair.publicKey);
					const transcriptA = await subtle.digest(
						"SHA-256",
						concat(new Uint8Array(32), kem.keyPair.publicKey, encapsulated.cipherText),
					);
					const [ikB, spkB, otkB, ek, adA] = await Promise.all([
						subtle.importKey("raw", bobRaw.dh, ECDH, true, []),
						subtle.importKey("raw", bobRaw.spk, ECDH, true, []),
						subtle.importKey("raw", otk.keyPair.publicKey, ECDH, true, []),
						subtle.generateKey(ECDH, false, ["deriveBits"]).then(async (pair) => ({
							pair,
							raw: new Uint8Array(await subtle.exportKey("raw", pair.publicKey)),
						})),
						subtle.digest("SHA-256", new Uint8Array(300)),
					]);
					const adBytes = new Uint8Array(adA);
					const secretsA = await Promise.all([
						dh(alice.identity.dh.privateKey, spkB),
						dh(ek.pair.privateKey, ikB),
						dh(ek.pair.privateKey, spkB),
						dh(ek.pair.privateKey, otkB),
					]);
					const outA = await hkdf(
						concat(...secretsA, encapsulated.sharedSecret, new Uint8Array(transcriptA)),
						adBytes,
						80,
					);
					const sendA: RawSide = { chainKey: outA.slice(32, 64) };
					const prekeyHeader = new Uint8Array(PREKEY_HEADER_V2_BYTES);
					const first = await rawEncrypt(sendA, adBytes, prekeyHeader, aliceSigning);
					// Responder: import Alice's signing key, verify envelope and identity, X3DH, ratchet init, decrypt.
					const aliceVerify = await subtle.importKey("raw", aliceIdentityRaw.signing, ECDSA, false, [
						"verify",
					]);
					if (!(await subtle.verify(ECDSA_SHA256, aliceVerify, first.signature, first.signed)))
						throw new Error("sig");
					const idOk = await subtle.verify(
						ECDSA_SHA256,
						aliceVerify,
						aliceIdentityRaw.dhSig,
						identityDhKeySignedBytes(aliceIdentityRaw.dh),
					);
					if (!idOk) throw new Error("floor: bad identity signature");
					const [ikA, ekA, adB] = await Promise.all([
						subtle.importKey("raw", aliceIdentityRaw.dh, ECDH, true, []),
						subtle.importKey("raw", ek.raw, ECDH, true, []),
						subtle.digest("SHA-256", new Uint8Array(300)),
					]);
					const secretsB = await Promise.all([
						dh(spk.record.keyPair.privateKey, ikA),
						dh(bob.identity.dh.privateKey, ekA),
						dh(spk.record.keyPair.privateKey, ekA),
						dh(otk.keyPair.privateKey, ekA),
					]);
					const sharedB = ml_kem768.decapsulate(encapsulated.cipherText, kem.keyPair.secretKey);
					const transcriptB = await subtle.digest(
						"SHA-256",
						concat(new Uint8Array(32), kem.keyPair.publicKey, encapsulated.cipherText),
					);
					const outB = await hkdf(
						concat(...secretsB, sharedB, new Uint8Array(transcriptB)),
						new Uint8Array(adB),
						80,
					);
					const ratchet = await subtle.generateKey(ECDH, false, ["deriveBits"]);
					await subtle.exportKey("raw", ratchet.publicKey);
					await hkdf(await dh(ratchet.privateKey, ekA), outB.slice(0, 32), 64);
					const recvB: RawSide = { chainKey: outB.slice(32, 64) };
					const step = await chainStep(recvB.chainKey);
					const { key, iv } = await messageKeys(step.mk, new Uint8Array(adB));
					return subtle.decrypt(
						{ name: "AES-GCM", iv, additionalData: concat(adBytes, prekeyHeader) },
						key,
						first.ct,
					);
				},
			},
		),
	);
	return rows;
}

/**
 * The suite-2 bundle (one-time EC and KEM prekeys included, JSON as the relay sends it) and first
 * message (100-byte text, decoded envelope) beside their suite-1 sizes.
 */
export async function suite2Sizes(): Promise<SizeRow[]> {
	const alice = await phone(ALICE);
	const bob = await phone(BOB);
	const spk = await generateSignedPrekey(bob.identity, 1, clock.now());
	const otk = (await generateOneTimePrekeys(bob.identity, 1, 1, clock.now())).records[0];
	const kem = (await generateKemPrekeys(bob.identity, 1, 1, clock.now())).records[0];
	if (!otk || !kem) throw new Error("no prekeys");
	await bob.stores.prekeys.storeSignedPrekey(spk.record);
	await bob.stores.prekeys.storeOneTimePrekeys([otk]);
	await bob.stores.prekeys.storeKemPrekeys([kem]);
	const oneTimePrekey = { keyId: otk.keyId, publicKey: encodeBase64Url(otk.keyPair.publicKey) };
	const bundle: PrekeyBundle = {
		phone: requireE164(BOB),
		identity: publicIdentity(bob.identity),
		signedPrekey: spk.wire,
		oneTimePrekey,
		kemPrekey: {
			keyId: kem.keyId,
			publicKey: encodeBase64Url(kem.keyPair.publicKey),
			signature: encodeBase64Url(kem.signature),
		},
	};
	const { kemPublicKey: _kem, ...classicalPrekey } = spk.wire;
	const suite1Bundle = { ...bundle, signedPrekey: classicalPrekey, kemPrekey: undefined };
	const body = await encryptMessage(alice.context, {
		to: BOB,
		id: nextId(),
		plaintext: PLAINTEXT,
		fetchBundle: async () => bundle,
	});
	const suite1First = PREKEY_HEADER_BYTES + PLAINTEXT.length + ENVELOPE_TAG_BYTES + ENVELOPE_SIGNATURE_BYTES;
	return [
		{
			name: "bundle with one-time EC + KEM prekeys (JSON)",
			bytes: JSON.stringify(bundle).length,
			suite1Bytes: JSON.stringify(suite1Bundle).length,
		},
		{
			name: "first (prekey) message, 100-byte text (envelope)",
			bytes: decodeBase64Url(body)?.length ?? 0,
			suite1Bytes: suite1First,
		},
	];
}
