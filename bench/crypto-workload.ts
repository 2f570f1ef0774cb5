// The protocol library's crypto workload, runtime-neutral (no node: imports), for comparing crypto
// backends (bench/crypto-backends.ts) in Node and running the same operations in Chromium
// (bench/crypto-browser-entry.ts). Everything runs on whichever backend is selected
// (protocol/crypto/backend.ts) when the workload is created and when each operation runs.
//
//   message    encrypt + decrypt of a 100-byte text in an established chain (suite 2)
//   ping-pong  the same, alternating directions, so every receive performs a DH ratchet step
//   handshake  suite 2 setup both sides + first message, from fresh contexts (no cached imports), with a
//              one-time EC prekey and a one-time ML-KEM-768 prekey (what a typical bundle holds)
//   drain      the recipient decrypts a backlog of queued messages in order (an offline recipient coming
//              back), timed over the whole backlog; encrypting it is not timed

import { encodeBase64Url } from "../protocol/encoding/base64url.ts";
import {
	createLocalIdentity,
	createMemoryStores,
	createProtocolContext,
	decryptMessage,
	encryptMessage,
	generateKemPrekeys,
	generateOneTimePrekeys,
	generateSignedPrekey,
	type KemPrekeyRecord,
	type LocalIdentity,
	type MemoryStores,
	manualClock,
	type OneTimePrekeyRecord,
	type ProtocolContext,
	publicIdentity,
} from "../protocol/session/index.ts";
import type { PrekeyBundle } from "../protocol/wire/keys.ts";
import { requireE164 } from "../protocol/wire/phone.ts";

const PLAINTEXT = new TextEncoder().encode("x".repeat(100));
/** The bench's fixed clock (the library takes its clock from the caller). */
export const clock = manualClock(Date.UTC(2026, 0, 1));

export interface Phone {
	readonly phone: string;
	readonly stores: MemoryStores;
	readonly identity: LocalIdentity;
	context: ProtocolContext;
}

export async function phone(number: string): Promise<Phone> {
	const stores = createMemoryStores();
	// Non-extractable, as the web app keeps them; the CLI's extractable keys cost the same per operation.
	const identity = await createLocalIdentity({ extractable: false, clock });
	await stores.identities.storeLocalIdentity(identity);
	return {
		phone: number,
		stores,
		identity,
		context: createProtocolContext({ phone: number, stores, clock }),
	};
}

/** The two phones behind a workload and bob's prekeys, for a baseline that redoes the same work by hand. */
export interface Parties {
	readonly alice: Phone;
	readonly bob: Phone;
	readonly signedPrekey: Awaited<ReturnType<typeof generateSignedPrekey>>;
	/** One-time prekeys, the same index pairing an EC one with a KEM one. */
	readonly otks: readonly OneTimePrekeyRecord[];
	readonly kems: readonly KemPrekeyRecord[];
}

export interface Workload {
	readonly parties: Parties;
	/** One encrypt + decrypt in the established chain. */
	message(): Promise<void>;
	/** One encrypt + decrypt, alternating directions (each receive is a DH ratchet step). */
	pingPong(): Promise<void>;
	/** Resets both sides to strangers with fresh contexts and a fresh one-time prekey pair (not timed). */
	prepareHandshake(): Promise<void>;
	/** One suite-2 session setup and its first message. */
	handshake(): Promise<void>;
	/** Queues `count` messages (not timed) and returns the milliseconds the recipient takes to decrypt them. */
	drain(count: number): Promise<number>;
	/** Queues `count` messages (not timed); the backlog is then decrypted in order, a slice at a time. */
	queue(count: number): Promise<Backlog>;
}

export interface Backlog {
	readonly remaining: number;
	/** Decrypts the next `count` queued messages in order; returns the milliseconds it took. */
	drainNext(count: number): Promise<number>;
}

/** Two phones with an established suite-2 session; `handshakes` one-time prekey pairs generated up front. */
export async function createWorkload(tag: string, handshakes: number): Promise<Workload> {
	const alice = await phone(requireE164(`+1555555${tag}01`));
	const bob = await phone(requireE164(`+1555555${tag}02`));
	const spk = await generateSignedPrekey(bob.identity, 1, clock.now());
	await bob.stores.prekeys.storeSignedPrekey(spk.record);
	const bundle: PrekeyBundle = {
		phone: requireE164(bob.phone),
		identity: publicIdentity(bob.identity),
		signedPrekey: spk.wire,
	};
	let counter = 0;
	const nextId = () => `${tag}-${++counter}`;
	const roundTrip = async (from: Phone, to: Phone, fetchBundle?: () => Promise<PrekeyBundle>) => {
		const id = nextId();
		const body = await encryptMessage(from.context, { to: to.phone, id, plaintext: PLAINTEXT, fetchBundle });
		await decryptMessage(to.context, { from: from.phone, id, body });
	};
	await roundTrip(alice, bob, async () => bundle);
	await roundTrip(bob, alice);

	const otks: OneTimePrekeyRecord[] = [];
	const kems: KemPrekeyRecord[] = [];
	for (let first = 1; otks.length < handshakes; first += 100) {
		const count = Math.min(100, handshakes - otks.length);
		otks.push(...(await generateOneTimePrekeys(bob.identity, first, count, clock.now())).records);
		kems.push(...(await generateKemPrekeys(bob.identity, first, count, clock.now())).records);
	}
	const queue = async (count: number): Promise<Backlog> => {
		const queued: { id: string; body: string }[] = [];
		for (let i = 0; i < count; i++) {
			const id = nextId();
			queued.push({
				id,
				body: await encryptMessage(alice.context, { to: bob.phone, id, plaintext: PLAINTEXT }),
			});
		}
		let next = 0;
		return {
			get remaining() {
				return queued.length - next;
			},
			async drainNext(slice) {
				const end = Math.min(queued.length, next + slice);
				const start = performance.now();
				for (; next < end; next++) {
					const message = queued[next];
					if (message) await decryptMessage(bob.context, { from: alice.phone, ...message });
				}
				return performance.now() - start;
			},
		};
	};
	let nextPrekey = 0;
	let handshakeBundle = bundle;
	let turn = 0;

	return {
		parties: { alice, bob, signedPrekey: spk, otks, kems },
		message: () => roundTrip(alice, bob),
		pingPong: () => (turn++ % 2 === 0 ? roundTrip(alice, bob) : roundTrip(bob, alice)),
		async prepareHandshake() {
			for (const p of [alice, bob]) {
				p.stores.sessions.records.clear();
				p.stores.identities.trusted.clear();
				p.context = createProtocolContext({ phone: p.phone, stores: p.stores, clock });
			}
			const index = nextPrekey++ % otks.length;
			const otk = otks[index];
			const kem = kems[index];
			if (!otk || !kem) throw new Error("no one-time prekeys left");
			await bob.stores.prekeys.storeOneTimePrekeys([otk]);
			await bob.stores.prekeys.storeKemPrekeys([kem]);
			handshakeBundle = {
				...bundle,
				oneTimePrekey: { keyId: otk.keyId, publicKey: encodeBase64Url(otk.keyPair.publicKey) },
				kemPrekey: {
					keyId: kem.keyId,
					publicKey: encodeBase64Url(kem.keyPair.publicKey),
					signature: encodeBase64Url(kem.signature),
				},
			};
		},
		handshake: () => roundTrip(alice, bob, async () => handshakeBundle),
		async drain(count) {
			const backlog = await queue(count);
			return backlog.drainNext(count);
		},
		queue,
	};
}

export const median = (values: readonly number[]): number => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/**
 * µs per call of `op` over `iterations` (after a fifth as many warm-up calls): the median, or the mean
 * where the clock is coarse (Chromium rounds performance.now() to 100 µs outside cross-origin isolated
 * pages, so a per-call median would be a multiple of 100 µs; the mean of many calls is not biased by it).
 */
export async function timeEach(
	iterations: number,
	op: () => Promise<void>,
	prepare?: () => Promise<void>,
	statistic: "median" | "mean" = "median",
): Promise<number> {
	const samples: number[] = [];
	const warmup = Math.ceil(iterations / 5);
	for (let i = 0; i < warmup + iterations; i++) {
		await prepare?.();
		const start = performance.now();
		await op();
		if (i >= warmup) samples.push(performance.now() - start);
	}
	const value =
		statistic === "median" ? median(samples) : samples.reduce((a, b) => a + b, 0) / samples.length;
	return value * 1000;
}
