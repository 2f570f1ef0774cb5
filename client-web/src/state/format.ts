// Formatting of times and delivery states for the screens, in the browser's locale.
import type { ContactRecord, HistoryEntry } from "../../../protocol/messenger/stores.ts";

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

const weekdayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const fullDateFormat = new Intl.DateTimeFormat(undefined, {
	weekday: "long",
	year: "numeric",
	month: "long",
	day: "numeric",
});

/** What to call a contact: the name the user gave them on this device, else their number. */
export function contactLabel(contact: Pick<ContactRecord, "name"> | undefined, phone: string): string {
	return contact?.name ?? phone;
}

export function formatTime(at: number): string {
	return timeFormat.format(at);
}

/** Today: the time; otherwise the date. */
export function formatWhen(at: number, now = Date.now()): string {
	if (at <= 0) return "";
	const sameDay = new Date(at).toDateString() === new Date(now).toDateString();
	return sameDay ? timeFormat.format(at) : dateFormat.format(at);
}

/** The local calendar day of a time, as a key to group a conversation's messages by day. */
export function dayKey(at: number): string {
	return new Date(at).toDateString();
}

/** The heading of a day in a conversation: "Today", "Yesterday", "Monday, November 30", or with the year. */
export function dayLabel(at: number, now = Date.now()): string {
	const day = new Date(at);
	const today = new Date(now);
	if (day.toDateString() === today.toDateString()) return "Today";
	const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
	if (day.toDateString() === yesterday.toDateString()) return "Yesterday";
	return day.getFullYear() === today.getFullYear() ? weekdayFormat.format(day) : fullDateFormat.format(day);
}

/**
 * A message the recipient reported it could not show (`not_delivered`) is sent again automatically,
 * once: "waiting" until it can go out over a new session, and "sent again" after that.
 */
export function isWaitingForResend(entry: HistoryEntry): boolean {
	return entry.direction === "out" && entry.status === "failed" && entry.redelivery === "waiting";
}

export function deliveryLabel(
	entry: HistoryEntry,
	/** The contact's key change is pending: the automatic re-send waits for the user's decision. */
	keyChangePending = false,
	/**
	 * The relay connection is up. A send that could not reach the relay stays "sending" and the messenger
	 * keeps trying it (for 24 hours, across reloads): while offline it is waiting for the connection.
	 */
	online = true,
): string {
	const again = entry.redelivery === "sent";
	switch (entry.status) {
		case "sending":
			if (!online) return "Waiting for connection";
			return again ? "Sending again…" : "Sending…";
		case "sent":
			return again ? "Sent again" : "Sent";
		case "queued":
			return again ? "Sent again, queued (they are offline)" : "Queued (they are offline)";
		case "delivered":
			return "Delivered";
		case "failed":
			if (isWaitingForResend(entry))
				return keyChangePending
					? "Not delivered — sends again once you decide on the new safety number"
					: "Not delivered — sending again";
			return entry.error?.code === "not_delivered" ? "Not delivered" : "Not sent";
		case "received":
			return "";
	}
}
