// Section 4 adapter, returned as bench rows:
// - bench/crypto.ts: the protocol library against the raw WebCrypto floor (value = library µs,
//   baseline = floor µs, ratio, target), on the WebCrypto backend;
// - bench/crypto-backends.ts: the library on the node:crypto backend against the same library on the
//   WebCrypto backend, same run (issue 18 §1 targets), and the same workload in Chromium beside them.

import { benchCrypto, suite2Sizes } from "./crypto.ts";
import { backendCounts, benchBackends, chromiumFigures } from "./crypto-backends.ts";
import type { BenchOptions, Row } from "./lib/options.ts";

const SECTION = "4 crypto";

export async function run(options: BenchOptions): Promise<Row[]> {
	console.log("[4] crypto: protocol library vs raw WebCrypto floor");
	const rows = await benchCrypto({ quick: options.quick });
	const sizes = (await suite2Sizes()).map(
		(row): Row => ({
			section: SECTION,
			name: `suite-2 size: ${row.name}`,
			value: row.bytes,
			unit: "bytes",
			baseline: row.suite1Bytes,
			baselineName: "suite 1",
			ratio: row.bytes / row.suite1Bytes,
			note: "ML-KEM-768 keys are 1,184 bytes, ciphertexts 1,088",
		}),
	);
	const timed = rows.map(
		(row): Row => ({
			section: SECTION,
			name: row.name,
			value: row.libraryMicros,
			unit: "µs",
			baseline: row.floorMicros,
			baselineName: "raw WebCrypto floor",
			ratio: row.ratio,
			target: `<= ${row.target}x floor`,
			pass: row.ratio <= row.target,
			note: `median of ${row.iterations}`,
		}),
	);

	console.log("[4] crypto: node:crypto backend vs WebCrypto backend (Node), and the library in Chromium");
	const counts = backendCounts(options.quick);
	const backends = await benchBackends(counts);
	const backendRows = backends.map(
		(row): Row => ({
			section: SECTION,
			name: `node:crypto backend: ${row.name}`,
			value: row.nodeBackend,
			unit: row.unit,
			baseline: row.webCrypto,
			baselineName: "WebCrypto backend (Node)",
			ratio: row.ratio,
			target: `<= ${row.target}x WebCrypto`,
			pass: row.ratio <= row.target,
			note: row.note,
		}),
	);
	let chromium: Awaited<ReturnType<typeof chromiumFigures>>;
	try {
		chromium = await chromiumFigures(counts);
	} catch (error) {
		// Keep the Node rows: report the browser run as missing rather than losing the whole section.
		console.error("[4] the Chromium crypto run failed:", error);
		return [...timed, ...backendRows, ...sizes, chromiumFailed(error)];
	}
	const inChromium: [string, number, "µs" | "ms"][] = [
		["message (encrypt + decrypt, same chain)", chromium.messageMicros, "µs"],
		["message + DH ratchet step (ping-pong)", chromium.pingPongMicros, "µs"],
		["handshake, suite 2 (both sides + first message)", chromium.handshakeMicros, "µs"],
		[
			`offline drain of ${chromium.drainCount.toLocaleString("en-US")} messages (decrypt all, in order)`,
			chromium.drainMillis,
			"ms",
		],
	];
	const chromiumRows = inChromium.map(([name, value, unit], index): Row => {
		const node = backends[index];
		return {
			section: SECTION,
			name: `Chromium (WebCrypto): ${name}`,
			value,
			unit,
			baseline: node?.nodeBackend,
			baselineName: "node:crypto backend (Node)",
			ratio: node ? value / node.nodeBackend : undefined,
			note: `the web app's runtime; mean per call (100 µs clock); Node's WebCrypto backend: ${node ? `${node.webCrypto.toFixed(0)} ${unit}` : "n/a"}`,
		};
	});
	return [...timed, ...backendRows, ...chromiumRows, ...sizes];
}

function chromiumFailed(error: unknown): Row {
	return {
		section: SECTION,
		name: "Chromium (WebCrypto): crypto workload",
		value: Number.NaN,
		unit: "µs",
		note: `did not run: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
	};
}
