// The node:crypto backend against the WebCrypto backend (protocol/crypto/backend.ts), the same library
// operations (crypto-workload.ts) in the same Node process, alternating one call on each backend so both
// see the same machine load; then the same workload in Chromium (crypto-chromium.ts). Targets (issue 18
// §1): node backend <= 0.4x WebCrypto per message and per ping-pong message, <= 0.5x per handshake and
// for an offline drain of 10,000 messages. Each side also selects its ML-KEM-768 backend, as the CLI
// does (node-crypto/ml-kem.ts: liboqs) and the web app does (noble, the default).
import { nodeCryptoBackend } from "../node-crypto/backend.ts";
import { nodeMlKemBackend } from "../node-crypto/ml-kem.ts";
import { type CryptoBackend, cryptoBackend, setCryptoBackend } from "../protocol/crypto/backend.ts";
import { type MlKemBackend, nobleMlKemBackend, setMlKemBackend } from "../protocol/crypto/ml-kem.ts";
import { webCryptoBackend } from "../protocol/crypto/webcrypto.ts";
import type { ChromiumCryptoFigures } from "./crypto-browser-entry.ts";
import { benchCryptoInChromium, type ChromiumCounts } from "./crypto-chromium.ts";
import { createWorkload, median, type Workload } from "./crypto-workload.ts";

export interface BackendRow {
	readonly name: string;
	readonly unit: "µs" | "ms";
	readonly nodeBackend: number;
	readonly webCrypto: number;
	readonly ratio: number;
	readonly target: number;
	readonly note: string;
}

interface Side {
	readonly backend: CryptoBackend;
	readonly mlKem: MlKemBackend;
	readonly workload: Workload;
}

/** Runs `op` with `side`'s backends selected (operations never overlap: each is awaited). */
async function on<T>(side: Side, op: (workload: Workload) => Promise<T>): Promise<T> {
	setCryptoBackend(side.backend);
	setMlKemBackend(side.mlKem);
	return op(side.workload);
}

async function alternate(
	iterations: number,
	sides: readonly [Side, Side],
	op: (workload: Workload) => Promise<void>,
	prepare?: (workload: Workload) => Promise<void>,
): Promise<[number, number]> {
	const samples: [number[], number[]] = [[], []];
	const warmup = Math.ceil(iterations / 5);
	for (let i = 0; i < warmup + iterations; i++) {
		for (const index of i % 2 === 0 ? [0, 1] : [1, 0]) {
			const side = sides[index as 0 | 1];
			if (prepare) await on(side, prepare);
			const start = performance.now();
			await on(side, op);
			if (i >= warmup) samples[index as 0 | 1].push(performance.now() - start);
		}
	}
	return [median(samples[0]) * 1000, median(samples[1]) * 1000];
}

export type BackendCounts = ChromiumCounts;

const DRAIN_SLICE = 250;

export function backendCounts(quick: boolean): BackendCounts {
	return quick
		? { messages: 500, pingPongs: 300, handshakes: 50, drain: 10_000 }
		: { messages: 3000, pingPongs: 1500, handshakes: 200, drain: 10_000 };
}

export async function benchBackends(counts: BackendCounts): Promise<BackendRow[]> {
	const previous = cryptoBackend();
	const previousMlKem = setMlKemBackend(nobleMlKemBackend);
	try {
		const sides: Side[] = [];
		for (const [tag, backend, mlKem] of [
			["11", nodeCryptoBackend, nodeMlKemBackend],
			["12", webCryptoBackend, nobleMlKemBackend],
		] as const) {
			setCryptoBackend(backend);
			setMlKemBackend(mlKem);
			// Warm-up and the handshake's one-time prekeys (a fifth more for the warm-up calls).
			const workload = await createWorkload(tag, Math.ceil(counts.handshakes * 1.2) + 1);
			sides.push({ backend, mlKem, workload });
		}
		const pair = sides as [Side, Side];
		const row = (name: string, target: number, [node, web]: [number, number], note: string): BackendRow => ({
			name,
			unit: "µs",
			nodeBackend: node,
			webCrypto: web,
			ratio: node / web,
			target,
			note,
		});
		const rows = [
			row(
				"message (encrypt + decrypt, same chain)",
				0.4,
				await alternate(counts.messages, pair, (w) => w.message()),
				`median of ${counts.messages}`,
			),
			row(
				"message + DH ratchet step (ping-pong)",
				0.4,
				await alternate(counts.pingPongs, pair, (w) => w.pingPong()),
				`median of ${counts.pingPongs}`,
			),
			row(
				"handshake, suite 2 (both sides + first message)",
				0.5,
				await alternate(
					counts.handshakes,
					pair,
					(w) => w.handshake(),
					(w) => w.prepareHandshake(),
				),
				`median of ${counts.handshakes}`,
			),
		];
		// Both backlogs are queued first (not timed), then drained in order in alternating slices of
		// DRAIN_SLICE messages, so both drains see the same machine load (whole 5-10 s drains one after the
		// other did not: on this shared machine the load changes within seconds).
		const backlogs = [
			await on(pair[0], (w) => w.queue(counts.drain)),
			await on(pair[1], (w) => w.queue(counts.drain)),
		] as const;
		const drained: [number, number] = [0, 0];
		for (let turn = 0; backlogs[0].remaining > 0 || backlogs[1].remaining > 0; turn++) {
			for (const index of turn % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)) {
				drained[index] += await on(pair[index], () => backlogs[index].drainNext(DRAIN_SLICE));
			}
		}
		const [node, web] = drained;
		rows.push({
			name: `offline drain of ${counts.drain.toLocaleString("en-US")} messages (decrypt all, in order)`,
			unit: "ms",
			nodeBackend: node,
			webCrypto: web,
			ratio: node / web,
			target: 0.5,
			note: `one drain each, in alternating slices of ${DRAIN_SLICE}`,
		});
		return rows;
	} finally {
		setCryptoBackend(previous);
		setMlKemBackend(previousMlKem);
	}
}

export function chromiumFigures(counts: BackendCounts): Promise<ChromiumCryptoFigures> {
	return benchCryptoInChromium(counts);
}
