// A Messenger's events as they arrive, with a wait for a condition over them: the one recorder behind
// the fast tier's users (test/fast/support/fake-users.ts) and the real-relay ones (messenger-user.ts).
import type { MessengerEvent } from "../../protocol/messenger/index.ts";

export interface EventLog {
	readonly events: MessengerEvent[];
	/** The Messenger's onEvent. */
	record(event: MessengerEvent): void;
	/** Waits until `predicate` holds for the recorded events, woken by each new event. */
	until(predicate: (events: MessengerEvent[]) => boolean, what: string): Promise<void>;
}

/** `timeoutMs` bounds a wait; `pollMs` re-checks predicates that depend on more than the events. */
export function createEventLog(timeoutMs: number, pollMs: number): EventLog {
	const events: MessengerEvent[] = [];
	const waiters = new Set<() => void>();
	return {
		events,
		record(event) {
			events.push(event);
			for (const wake of waiters) wake();
		},
		async until(predicate, what) {
			const deadline = Date.now() + timeoutMs;
			while (!predicate(events)) {
				if (Date.now() > deadline)
					throw new Error(
						`timed out waiting for ${what}; events: ${JSON.stringify(events.map((e) => e.type))}`,
					);
				await new Promise<void>((resolve) => {
					const wake = () => {
						waiters.delete(wake);
						resolve();
					};
					waiters.add(wake);
					setTimeout(wake, pollMs);
				});
			}
		},
	};
}
