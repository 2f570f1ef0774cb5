// Timers for RelayConnection (its `timers` option) on a clock that moves only when a test says so:
// `advance(ms)` runs whatever falls due, in time order. Every timer ever scheduled is logged with its
// delay, so a test can read the backoff the connection chose.
import type { Timers } from "../../../protocol/client/index.ts";

interface Task {
	readonly id: number;
	readonly at: number;
	readonly ms: number;
	readonly callback: () => void;
}

export class ManualTimers implements Timers {
	now = 0;
	private nextId = 1;
	private tasks: Task[] = [];
	/** Every delay passed to setTimeout, in order. */
	readonly scheduled: number[] = [];

	setTimeout(callback: () => void, ms: number): unknown {
		const task = { id: this.nextId++, at: this.now + ms, ms, callback };
		this.tasks.push(task);
		this.scheduled.push(ms);
		return task.id;
	}

	clearTimeout(handle: unknown): void {
		this.tasks = this.tasks.filter((task) => task.id !== handle);
	}

	/** Delays of the timers still pending, in the order they were set. */
	pending(): number[] {
		return this.tasks.map((task) => task.ms);
	}

	/** Moves the clock forward, running each timer that falls due (timers set meanwhile included). */
	advance(ms: number): void {
		const end = this.now + ms;
		for (;;) {
			const due = this.tasks.filter((task) => task.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
			if (!due) break;
			this.tasks = this.tasks.filter((task) => task !== due);
			this.now = due.at;
			due.callback();
		}
		this.now = end;
	}
}

/** Lets promise chains and queued microtasks run (a macrotask turn on the real event loop). */
export function settle(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve));
}
