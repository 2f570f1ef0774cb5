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

export function deliveryLabel(entry: HistoryEntry): string {
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
