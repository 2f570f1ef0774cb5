// One message bubble: the text, its time, and for our own messages the delivery state (sending / sent /
// queued / delivered / not sent with the reason and a retry / not delivered, which FriendLy sends again
// by itself once, then "sent again").
import type { HistoryEntry } from "../../../protocol/messenger/stores.ts";
import { describeCode } from "../state/error-text.ts";
import { deliveryLabel, formatTime, isStaleSending, isWaitingForResend } from "../state/format.ts";

export function MessageItem({
	entry,
	keyChangePending = false,
	onRetry,
}: {
	entry: HistoryEntry;
	/** The contact's key change waits for the user's decision (an automatic re-send waits with it). */
	keyChangePending?: boolean;
	onRetry: (entry: HistoryEntry) => void;
}) {
	const outgoing = entry.direction === "out";
	const stale = isStaleSending(entry);
	const waiting = isWaitingForResend(entry);
	return (
		<li
			class={`message message--${entry.direction}`}
			data-status={stale ? "unconfirmed" : entry.status}
			data-id={entry.id}
			data-error={entry.error?.code}
			data-redelivery={entry.redelivery}
		>
			<p class="message-text">{entry.text}</p>
			<p class="message-meta">
				<span class="visually-hidden">{outgoing ? "You, " : "Them, "}</span>
				<time dateTime={new Date(entry.at).toISOString()}>{formatTime(entry.at)}</time>
				{outgoing ? (
					<span class="message-status"> · {deliveryLabel(entry, Date.now(), keyChangePending)}</span>
				) : null}
			</p>
			{entry.status === "failed" || stale ? (
				<div class="message-failure">
					<p>
						{stale
							? "FriendLy closed before the relay confirmed this message, so it may not have been sent."
							: entry.error
								? describeCode(entry.error.code, entry.error.message)
								: "This message was not sent."}
					</p>
					{/* A message waiting for its automatic re-send goes out by itself: no button to press. */}
					{waiting ? null : (
						<button type="button" class="button button--small" onClick={() => onRetry(entry)}>
							Send again
						</button>
					)}
				</div>
			) : null}
		</li>
	);
}
