// Formatting of times and delivery states for the screens, in the browser's locale.
import type { HistoryEntry } from "../../../protocol/messenger/stores.ts";

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

export function formatTime(at: number): string {
	return timeFormat.format(at);
}

/** Today: the time; otherwise the date. */
export function formatWhen(at: number, now = Date.now()): string {
	if (at <= 0) return "";
	const sameDay = new Date(at).toDateString() === new Date(now).toDateString();
	return sameDay ? timeFormat.format(at) : dateFormat.format(at);
}

/**
 * A send waits at most 30 s for the relay (the messenger's send timeout). An entry still "sending" well
 * after that was cut off by a closed tab or a crash: it may not have gone out, so it is shown as
 * unconfirmed with "Send again" rather than as sending forever.
 */
export const STALE_SENDING_MS = 90_000;

export function isStaleSending(entry: HistoryEntry, now = Date.now()): boolean {
	return entry.direction === "out" && entry.status === "sending" && now - entry.at > STALE_SENDING_MS;
}

export function deliveryLabel(entry: HistoryEntry, now = Date.now()): string {
	if (isStaleSending(entry, now)) return "Not confirmed";
	switch (entry.status) {
		case "sending":
			return "Sending…";
		case "sent":
			return "Sent";
		case "queued":
			return "Queued (they are offline)";
		case "delivered":
			return "Delivered";
		case "failed":
			return "Not sent";
		case "received":
			return "";
	}
}
