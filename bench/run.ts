// `npm run bench`: runs every benchmark section of issue 6, prints one table (each figure beside the
// baseline measured in the same run) and writes it with the machine to bench-results/<timestamp>.json.
//
//   npm run bench                    default scale (7-12 minutes)
//   npm run bench -- --quick         scaled down (about 1.5 minutes), for a smoke check
//   npm run bench -- --long          scaled up (more pairs, steps and idle time)
//   npm run bench -- --only=1,4      only some sections (1 relay, 2 drain, 3 hot, 4 crypto, 5 idle,
//                                    6 files, 7 backup, 8 cost)
//   npm run bench -- --state=disk    relay state on disk in sections 2, 3, 5 too (default: tmpfs there)
//
// Exits non-zero if any message was lost or duplicated in any run (the harness tallies every message)
// or a section failed; targets that are missed are reported in the table, not as a failed run.
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { run as attachments } from "./attachments.ts";
import { run as backup } from "./backup-section.ts";
import { run as crypto } from "./crypto-section.ts";
import { run as hotRecipient } from "./hot-recipient.ts";
import { run as idleConnections } from "./idle-connections.ts";
import { type BenchOptions, machine, type Row, type Scale } from "./lib/options.ts";
import { run as offlineDrain } from "./offline-drain.ts";
import { run as relayCost } from "./relay-cost.ts";
import { run as relayThroughput } from "./relay-throughput.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const scale: Scale = argv.includes("--quick") ? "quick" : argv.includes("--long") ? "long" : "default";
const only = argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
const selected = new Set((only ?? "1,2,3,4,5,6,8").split(",").map((s) => s.trim()));
const options: BenchOptions = {
	scale,
	quick: scale === "quick",
	state: argv.includes("--state=disk") ? "disk" : "tmpfs",
};

const sections: [string, (options: BenchOptions) => Promise<Row[]>][] = [
	["4", crypto],
	["1", relayThroughput],
	["2", offlineDrain],
	["3", hotRecipient],
	["5", idleConnections],
	["6", attachments],
	["7", backup],
	["8", relayCost],
];

function format(value: number | undefined, unit = ""): string {
	if (value === undefined) return "";
	if (!Number.isFinite(value)) return "n/a";
	const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
	return `${value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })}${unit ? ` ${unit}` : ""}`;
}

function table(rows: readonly Row[]): string {
	const header = ["section", "measure", "value", "baseline (same run)", "ratio", "target", "pass"];
	const lines = rows.map((row) => [
		row.section,
		row.name,
		format(row.value, row.unit),
		row.baseline !== undefined ? `${format(row.baseline, row.unit)} ${row.baselineName ?? ""}`.trim() : "",
		row.ratio !== undefined ? `${format(row.ratio)}x` : "",
		row.target ?? "",
		row.pass === undefined ? "" : row.pass ? "yes" : "NO",
	]);
	const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
	const line = (cells: string[]) =>
		cells
			.map((c, i) => (i === 2 || i === 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
			.join("  ")
			.trimEnd();
	return [line(header), line(widths.map((w) => "-".repeat(w))), ...lines.map(line)].join("\n");
}

const started = new Date();
const host = machine();
console.log(
	`FriendLy bench (${scale}, relay state in sections 2/3/5 on ${options.state}) — ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node}, ${host.platform}\n`,
);
const rows: Row[] = [];
const failures: string[] = [];
/**
 * The 1-minute load average around each section: this machine is shared (other test suites may run
 * at the same time), and a figure taken under load says so in the results.
 */
const load: Record<string, { before: number; after: number; seconds: number }> = {};
for (const [id, section] of sections) {
	if (!selected.has(id)) continue;
	const t0 = performance.now();
	const before = loadavg()[0] ?? 0;
	try {
		rows.push(...(await section(options)));
	} catch (error) {
		failures.push(
			`section ${id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
		);
		console.error(`section ${id} failed:`, error);
	}
	const seconds = (performance.now() - t0) / 1000;
	load[id] = { before, after: loadavg()[0] ?? 0, seconds };
	console.log(
		`    (section ${id}: ${seconds.toFixed(1)} s; load average ${before.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)} on ${host.cores} cores)\n`,
	);
}
console.log(table(rows));
const integrity = rows.filter((row) => row.unit === "lost+dup" && row.pass === false);
for (const row of integrity) failures.push(`${row.section}: ${row.name}: ${row.note ?? ""}`);
const out = resolve(root, "bench-results");
mkdirSync(out, { recursive: true });
const file = resolve(out, `${started.toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(
	file,
	`${JSON.stringify(
		{
			bench: "friendly",
			scale,
			state: options.state,
			startedAt: started.toISOString(),
			seconds: (Date.now() - started.getTime()) / 1000,
			machine: host,
			load,
			rows,
			failures,
		},
		null,
		"\t",
	)}\n`,
);
console.log(`\nwritten ${file}`);
if (failures.length > 0) {
	console.error(`\n${failures.length} failure(s):\n${failures.join("\n")}`);
	process.exitCode = 1;
}
