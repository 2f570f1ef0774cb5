// Long-running sessions (the interactive client, `receive` without --timeout) keep the prekey supply
// topped up and the signed prekey rotated while they stay connected: the messenger does it on every
// connect, and this repeats it hourly in between (one-time prekeys, and suite 2's one-time ML-KEM-768
// prekeys, are used up as people start chats; the signed prekey, with its last-resort KEM key, is due
// for rotation every two days).
import type { Messenger } from "../protocol/messenger/index.ts";

const UPKEEP_INTERVAL_MS = 60 * 60 * 1000;

export function startPrekeyUpkeep(messenger: Messenger): () => void {
	const timer = setInterval(() => {
		void messenger.maintainPrekeys();
	}, UPKEEP_INTERVAL_MS);
	timer.unref();
	return () => clearInterval(timer);
}
