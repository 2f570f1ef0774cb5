// `npm run bench`: runs the benchmarks, prints a table and writes bench-results/<name>.json.
// Options: --quick (fewer iterations, for a smoke run).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchRow, benchCrypto } from "./crypto.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick");

function table(rows: readonly BenchRow[]): string {
	const header = ["case", "library µs", "WebCrypto floor µs", "ratio", "target", "within target"];
	const lines = rows.map((row) => [
		row.name,
		row.libraryMicros.toFixed(1),
		row.floorMicros.toFixed(1),
		`${row.ratio.toFixed(2)}x`,
		`<= ${row.target}x`,
		row.ratio <= row.target ? "yes" : "NO",
	]);
	const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
	const format = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
	return [format(header), format(widths.map((w) => "-".repeat(w))), ...lines.map(format)].join("\n");
}

const started = new Date();
console.log(
	`FriendLy crypto bench (${quick ? "quick" : "full"}) — Node ${process.version}, ${process.platform}/${process.arch}`,
);
const rows = await benchCrypto({ quick });
console.log(table(rows));
const out = resolve(root, "bench-results");
mkdirSync(out, { recursive: true });
const file = resolve(out, "crypto.json");
writeFileSync(
	file,
	`${JSON.stringify({ bench: "crypto", startedAt: started.toISOString(), node: process.version, quick, rows }, null, "\t")}\n`,
);
console.log(`\nwritten ${file}`);
