// Section 4 adapter: bench/crypto.ts (the protocol library against the raw WebCrypto floor, owned by
// the crypto work) returned as bench rows: value = library µs, baseline = floor µs, ratio, target.
import { benchCrypto, suite2Sizes } from "./crypto.ts";
import type { BenchOptions, Row } from "./lib/options.ts";

export async function run(options: BenchOptions): Promise<Row[]> {
	console.log("[4] crypto: protocol library vs raw WebCrypto floor");
	const rows = await benchCrypto({ quick: options.quick });
	const sizes = (await suite2Sizes()).map(
		(row): Row => ({
			section: "4 crypto",
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
			section: "4 crypto",
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
	return [...timed, ...sizes];
}
