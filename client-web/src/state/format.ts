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

/**
 * A message the recipient reported it could not show (`not_delivered`) is sent again automatically,
 * once: "waiting" until it can go out over a new session, and "sent again" after that.
 */
export function isWaitingForResend(entry: HistoryEntry): boolean {
	return entry.direction === "out" && entry.status === "failed" && entry.redelivery === "waiting";
}

export function deliveryLabel(
	entry: HistoryEntry,
	now = Date.now(),
	/** The contact's key change is pending: the automatic re-send waits for the user's decision. */
	keyChangePending = false,
): string {
	if (isStaleSending(entry, now)) return "Not confirmed";
	const again = entry.redelivery === "sent";
	switch (entry.status) {
		case "sending":
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
