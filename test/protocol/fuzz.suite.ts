// Seeded randomized interaction test, in the spirit of libsignal's fuzz target: parties send, and a
// hostile network delivers, drops, reorders, duplicates, replays and tampers, for thousands of steps.
// Invariants: every delivered genuine envelope decrypts exactly once, to the right plaintext, in the
// right conversation; every replay is `duplicate`; every tampered envelope is rejected; afterwards every
// pair still talks in both directions (state never corrupts).

import {
	decryptMessage,
	deserializeSessionRecord,
	isProtocolError,
	type ProtocolErrorCode,
	serializeSessionRecord,
} from "../../protocol/session/index.ts";
import { PREKEY_HEADER_V2_BYTES } from "../../protocol/wire/envelope.ts";
import { bodyBytes, flipBodyBit } from "./envelope-tools.ts";
import { Directory, makeParty, type Party, PHONES, type Sent, send, untext } from "./fixtures.ts";
import { AssertionFailed, assert, assertEqual, type Suite, seededRandom } from "./harness.ts";

/** Where a suite-2 prekey header's KEM fields start (protocol/wire/envelope.ts). */
const KEM_FIELDS_OFFSET = 310;

const TAMPER_CODES: readonly ProtocolErrorCode[] = [
	"malformed",
	"bad_signature",
	"unsupported_version",
	"invalid_key",
	"no_session",
	"wrong_recipient",
];

interface Stats {
	sent: number;
	delivered: number;
	dropped: number;
	replayed: number;
	tampered: number;
	restored: number;
	/** Tampered suite-2 setup messages (a bit flipped in the KEM fields). */
	kemTampered: number;
}

async function simulate(
	seed: number,
	names: ReadonlyArray<keyof typeof PHONES>,
	steps: number,
): Promise<Stats> {
	const random = seededRandom(seed);
	const directory = new Directory();
	const parties: Party[] = [];
	// The first party's keys are extractable (CLI-like, its state is periodically serialised and
	// restored); the others are picked at random, so non-extractable (browser-like) keys are mixed in.
	for (const [index, name] of names.entries()) {
		const extractable = index === 0 || random.next() < 0.5;
		parties.push(await makeParty(PHONES[name], directory, { extractable }));
	}
	const byPhone = new Map(parties.map((p) => [p.phone, p]));
	const party = (phone: string): Party => {
		const found = byPhone.get(phone);
		if (!found) throw new AssertionFailed(`unknown ${phone}`);
		return found;
	};
	const inFlight: Sent[] = [];
	const delivered: Sent[] = [];
	const stats: Stats = {
		sent: 0,
		delivered: 0,
		dropped: 0,
		replayed: 0,
		tampered: 0,
		restored: 0,
		kemTampered: 0,
	};
	let counter = 0;

	const deliver = async (message: Sent) => {
		const result = await decryptMessage(party(message.to).context, message);
		assertEqual(untext(result.plaintext), message.plaintext, `seed ${seed}: ${message.id} plaintext`);
		assertEqual(result.from, message.from, "sender");
		delivered.push(message);
		stats.delivered++;
	};
	const take = (index: number): Sent => {
		const [message] = inFlight.splice(index, 1);
		if (!message) throw new AssertionFailed("empty network");
		return message;
	};

	// As the CLI does after a restart: every session record through its text form and back.
	const restore = async (target: Party) => {
		for (const [peer, record] of [...target.stores.sessions.records]) {
			const restored = await deserializeSessionRecord(await serializeSessionRecord(record));
			target.stores.sessions.records.set(peer, restored);
		}
		stats.restored++;
	};

	// Suite-2 session setup: a bit flipped inside the KEM fields (kind, id, ciphertext) of a prekey
	// message is rejected (prekey messages are few, so each one sent is tampered with once).
	const tamperKem = async (target: Sent) => {
		if (bodyBytes(target.body)[1] !== 2) return;
		const kemBit = (KEM_FIELDS_OFFSET + random.int(PREKEY_HEADER_V2_BYTES - KEM_FIELDS_OFFSET)) * 8;
		try {
			const body = flipBodyBit(target.body, kemBit + random.int(8));
			await decryptMessage(party(target.to).context, { ...target, body });
			throw new AssertionFailed(`seed ${seed}: KEM-tampered ${target.id} accepted`);
		} catch (error) {
			if (!isProtocolError(error) || !TAMPER_CODES.includes(error.code)) throw error;
		}
		stats.kemTampered++;
	};

	for (let step = 0; step < steps; step++) {
		if (random.next() < 0.01) {
			const target = random.pick(parties);
			const local = await target.context.localIdentity();
			if (local.dh.privateKey.extractable) await restore(target);
		}
		const roll = random.next();
		if (inFlight.length === 0 || roll < 0.36 || (roll < 0.4 && inFlight.length < 3)) {
			const from = random.pick(parties);
			const to = random.pick(parties.filter((p) => p !== from));
			const id = `s${seed}-${++counter}`;
			const sent = await send(
				from,
				to,
				`${from.phone}>${to.phone} #${counter} ${"x".repeat(random.int(40))}`,
				id,
			);
			await tamperKem(sent);
			inFlight.push(sent);
			stats.sent++;
		} else if (roll < 0.76 || inFlight.length > 150) {
			// Mostly near the front (mild reordering), sometimes anywhere.
			const index =
				random.next() < 0.7 ? random.int(Math.min(3, inFlight.length)) : random.int(inFlight.length);
			await deliver(take(index));
		} else if (roll < 0.8) {
			take(random.int(inFlight.length));
			stats.dropped++;
		} else if (roll < 0.9) {
			if (delivered.length === 0) continue;
			const replay = random.pick(delivered);
			try {
				await decryptMessage(party(replay.to).context, replay);
				throw new AssertionFailed(`seed ${seed}: replay of ${replay.id} decrypted again`);
			} catch (error) {
				if (!isProtocolError(error, "duplicate")) throw error;
			}
			stats.replayed++;
		} else {
			const target = inFlight[random.int(inFlight.length)];
			if (!target) continue;
			const bodies = [flipBodyBit(target.body, random.int(1 << 20))];
			if (random.next() < 0.5) bodies.push(target.body); // also: genuine body, wrong claimed sender
			for (const [i, body] of bodies.entries()) {
				const others = parties.filter((p) => p.phone !== target.from && p.phone !== target.to);
				const from = i === 1 ? (others[0]?.phone ?? target.to) : target.from;
				const to = i === 1 && others.length === 0 ? target.from : target.to;
				try {
					await decryptMessage(party(to).context, { from, id: target.id, body });
					throw new AssertionFailed(`seed ${seed}: tampered ${target.id} accepted`);
				} catch (error) {
					if (!isProtocolError(error) || !TAMPER_CODES.includes(error.code)) throw error;
				}
			}
			stats.tampered++;
		}
	}
	// Drain the network in random order, then every pair must still talk both ways.
	while (inFlight.length > 0) await deliver(take(random.int(inFlight.length)));
	for (const a of parties) {
		for (const b of parties) {
			if (a === b) continue;
			await deliver(await send(a, b, `final ${a.phone}>${b.phone}`, `f${seed}-${++counter}`));
		}
	}
	assert(
		delivered.length === new Set(delivered.map((m) => `${m.to}/${m.id}`)).size,
		"each delivered exactly once",
	);
	return stats;
}

export const fuzzSuite: Suite = {
	name: "randomized interaction",
	cases: {
		"two parties, 2500 steps (seed 1)": async () => {
			const stats = await simulate(1, ["alice", "bob"], 2500);
			assert(
				stats.delivered > 700 &&
					stats.dropped > 50 &&
					stats.replayed > 100 &&
					stats.tampered > 100 &&
					stats.restored > 3 &&
					stats.kemTampered > 0,
				"all actions ran",
			);
		},
		"two parties, 1500 steps (seed 2)": async () => {
			const stats = await simulate(2, ["alice", "bob"], 1500);
			assert(stats.delivered > 400 && stats.replayed > 50 && stats.restored > 3, "all actions ran");
		},
		"three parties, 2500 steps (seed 3)": async () => {
			const stats = await simulate(3, ["alice", "bob", "carol"], 2500);
			assert(
				stats.delivered > 700 &&
					stats.dropped > 50 &&
					stats.replayed > 100 &&
					stats.tampered > 100 &&
					stats.restored > 3,
				"all actions ran",
			);
		},
	},
};
