// The line a metered Durable Object logs when it goes idle (usage-meter.ts), read back by `npm run
// bench`'s cost section (bench/relay-cost.ts). Free of the Workers runtime's types, so Node code can import it.

/** What one object was billed for since its last line. */
export interface Usage {
	/** RPC calls, fetches and alarm invocations: one billed request each. */
	requests: number;
	/** Incoming WebSocket messages (and close events): billed 20 to a request. */
	webSocketMessages: number;
	/** workerd's counters: every insert, update, delete and index update. */
	rowsWritten: number;
	rowsRead: number;
	alarmsSet: number;
	/** Wall time with an event in flight or a timer pending (not hibernatable, so billed). */
	activeMs: number;
}

export const USAGE_LINE_PREFIX = "usage ";

export function emptyUsage(): Usage {
	return { requests: 0, webSocketMessages: 0, rowsWritten: 0, rowsRead: 0, alarmsSet: 0, activeMs: 0 };
}
