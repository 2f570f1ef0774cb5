// Bundled for Chromium by bench/crypto-chromium.ts: the crypto workload (crypto-workload.ts) on the
// web app's runtime, WebCrypto, with the same operations and counts as the Node rows (means per call
// where Node reports medians: see timeEach). The figures are
// left on globalThis for the bench to read.
import { createWorkload, timeEach } from "./crypto-workload.ts";

export interface ChromiumCryptoFigures {
	readonly messageMicros: number;
	readonly pingPongMicros: number;
	readonly handshakeMicros: number;
	readonly drainMillis: number;
	readonly drainCount: number;
}

declare global {
	var __cryptoBench: ChromiumCryptoFigures | { error: string } | undefined;
}

async function main(): Promise<ChromiumCryptoFigures> {
	const params = new URL(location.href).searchParams;
	const count = (name: string) => Number(params.get(name) ?? "0");
	const workload = await createWorkload("13", count("handshakes"));
	// Means, not medians: Chromium's clock here has a 100 µs resolution (crypto-workload.ts timeEach).
	const messageMicros = await timeEach(count("messages"), workload.message, undefined, "mean");
	const pingPongMicros = await timeEach(count("pingPongs"), workload.pingPong, undefined, "mean");
	const handshakeMicros = await timeEach(
		count("handshakes"),
		workload.handshake,
		workload.prepareHandshake,
		"mean",
	);
	const drainCount = count("drain");
	const drainMillis = await workload.drain(drainCount);
	return { messageMicros, pingPongMicros, handshakeMicros, drainMillis, drainCount };
}

main().then(
	(figures) => {
		globalThis.__cryptoBench = figures;
	},
	(error: unknown) => {
		globalThis.__cryptoBench = {
			error: error instanceof Error ? (error.stack ?? error.message) : String(error),
		};
	},
);
