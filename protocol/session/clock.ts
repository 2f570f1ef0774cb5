// Time is injected so tests (and the prekey rotation schedule) are deterministic.

export interface Clock {
	/** Milliseconds since the Unix epoch. */
	now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock the caller moves by hand (tests, simulations). */
export function manualClock(start = 0): Clock & { advance(ms: number): void; set(ms: number): void } {
	let current = start;
	return {
		now: () => current,
		advance: (ms: number) => {
			current += ms;
		},
		set: (ms: number) => {
			current = ms;
		},
	};
}
