// A tiny, runtime-neutral test harness: suites are plain modules exporting named async cases, so the
// same cases run under vitest in Node (node.test.ts) and inside Chromium (chromium.test.ts).
// Nothing here may import node:* or vitest.

import { isProtocolError, type ProtocolErrorCode } from "../../protocol/session/index.ts";

/** What a case may need from its runtime. */
export interface TestEnv {
	/** A Wycheproof vector file's parsed JSON (rejects when the file is not available). */
	loadWycheproof(file: string): Promise<unknown>;
	readonly runtime: "node" | "chromium" | "workerd";
}

export type CaseFn = (env: TestEnv) => Promise<void>;

export interface Suite {
	readonly name: string;
	readonly cases: Readonly<Record<string, CaseFn>>;
}

export class AssertionFailed extends Error {
	override readonly name = "AssertionFailed";
}

export function assert(condition: unknown, message: string): asserts condition {
	if (!condition) throw new AssertionFailed(message);
}

export function assertEqual<T>(actual: T, expected: T, message: string): void {
	if (actual !== expected) {
		throw new AssertionFailed(`${message}: expected ${String(expected)}, got ${String(actual)}`);
	}
}

export const hex = (bytes: Uint8Array): string =>
	Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

export function fromHex(text: string): Uint8Array<ArrayBuffer> {
	if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text))
		throw new AssertionFailed(`bad hex ${text.slice(0, 16)}`);
	const out = new Uint8Array(text.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
	return out;
}

export function assertBytes(actual: Uint8Array, expectedHex: string, message: string): void {
	const got = hex(actual);
	if (got !== expectedHex.toLowerCase())
		throw new AssertionFailed(`${message}: expected ${expectedHex}, got ${got}`);
}

/** Awaits `operation` and checks it rejects with a ProtocolError of one of `codes`. */
export async function assertRejects(
	operation: () => Promise<unknown>,
	codes: ProtocolErrorCode | readonly ProtocolErrorCode[],
	message: string,
): Promise<void> {
	const expected = typeof codes === "string" ? [codes] : codes;
	let error: unknown;
	try {
		await operation();
	} catch (caught) {
		error = caught;
	}
	if (error === undefined)
		throw new AssertionFailed(`${message}: expected ${expected.join("|")}, but it succeeded`);
	if (!isProtocolError(error))
		throw new AssertionFailed(`${message}: expected a ProtocolError, got ${String(error)}`);
	if (!expected.includes(error.code)) {
		throw new AssertionFailed(
			`${message}: expected ${expected.join("|")}, got ${error.code} (${error.message})`,
		);
	}
}

/** Deterministic PRNG (mulberry32) for the randomized tests. */
export function seededRandom(seed: number) {
	let state = seed >>> 0;
	const next = (): number => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	return {
		next,
		int: (max: number): number => Math.floor(next() * max),
		pick<T>(items: readonly T[]): T {
			const item = items[Math.floor(next() * items.length)];
			if (item === undefined) throw new AssertionFailed("pick from an empty list");
			return item;
		},
	};
}
