// Shared shapes of `npm run bench`: the run options (quick / default / long) and the result row every
// section returns. A section is `run(options): Promise<Row[]>`; bench/run.ts prints the rows as one
// table and writes them, with the machine description, to bench-results/<timestamp>.json.
import { cpus, totalmem } from "node:os";
import type { StateLocation } from "./processes.ts";

export type Scale = "quick" | "default" | "long";

export interface BenchOptions {
	scale: Scale;
	quick: boolean;
	/**
	 * Where the FriendLy relay keeps its SQLite files in sections 2, 3 and 5 (section 1 measures both):
	 * tmpfs by default, so a run is not bounded by this machine's fsync latency (~2 ms per synchronous
	 * write here); `--state=disk` for the `npm start` layout.
	 */
	state: StateLocation;
}

export interface Row {
	section: string;
	name: string;
	value: number;
	unit: string;
	/** The same figure for the baseline measured in this run, where there is one. */
	baseline?: number;
	/** What the baseline is. */
	baselineName?: string;
	/** value / baseline (or the ratio the target is stated in). */
	ratio?: number;
	/** The target in words, e.g. ">= 0.5x plain DO" or "< 2000 ms". */
	target?: string;
	pass?: boolean;
	/** Free-form detail (tallies, parameters). */
	note?: string;
}

/** Thrown by a section when a message was lost or duplicated: the run exits non-zero. */
export class IntegrityError extends Error {}

export interface Profile {
	/** Section 1: sender/recipient pairs, messages per pair (the relay allows a burst of 60 per pair), window. */
	pairs: number;
	messagesPerPair: number;
	/** Section 1 measures every relay this many times, alternating, with fresh pairs each time. */
	rounds: number;
	window: number;
	/** Section 2: backlog sizes. */
	drainSizes: number[];
	/** Section 3: offered rates (messages/s into one object) and seconds per step. */
	hotRates: number[];
	hotSeconds: number;
	/** Section 5: idle connections, and the idle interval watched for CPU. */
	idleConnections: number;
	idleSeconds: number;
}

export function profile(scale: Scale): Profile {
	switch (scale) {
		case "quick":
			return {
				pairs: 10,
				messagesPerPair: 40,
				rounds: 1,
				window: 4,
				drainSizes: [1000],
				hotRates: [500, 1000, 2000],
				hotSeconds: 1,
				idleConnections: 100,
				idleSeconds: 5,
			};
		case "default":
			return {
				pairs: 40,
				messagesPerPair: 30,
				rounds: 2,
				window: 8,
				drainSizes: [1000, 10_000],
				hotRates: [250, 500, 1000, 2000, 4000],
				hotSeconds: 2,
				idleConnections: 1000,
				idleSeconds: 10,
			};
		case "long":
			return {
				pairs: 100,
				messagesPerPair: 55,
				rounds: 3,
				window: 8,
				drainSizes: [1000, 5000, 10_000],
				hotRates: [250, 500, 1000, 1500, 2000, 3000, 4000, 6000],
				hotSeconds: 4,
				idleConnections: 1000,
				idleSeconds: 30,
			};
	}
}

export function machine(): Record<string, string | number> {
	const list = cpus();
	return {
		cpu: list[0]?.model ?? "unknown",
		cores: list.length,
		memoryGiB: Math.round(totalmem() / 2 ** 30),
		node: process.version,
		platform: `${process.platform}/${process.arch}`,
	};
}
