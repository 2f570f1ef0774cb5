// One message bubble: the text, its time, and for our own messages the delivery state (sending, or
// waiting for the connection while the messenger keeps trying / sent / queued / delivered / not sent
// with the reason and a retry / not delivered, which FriendLy sends again by itself once, then "sent
// again").
import type { AttachmentPointer } from "../../../protocol/messenger/index.ts";
import type { HistoryEntry } from "../../../protocol/messenger/stores.ts";
import { describeCode } from "../state/error-text.ts";
import { deliveryLabel, formatTime, isWaitingForResend } from "../state/format.ts";
import { AttachmentCard } from "./AttachmentCard.tsx";

export function MessageItem({
	entry,
	keyChangePending = false,
	online = true,
	onRetry,
	fetchFile,
}: {
	entry: HistoryEntry;
	/** The contact's key change waits for the user's decision (an automatic re-send waits with it). */
	keyChangePending?: boolean;
	/** The relay connection is up (a send still "sending" while offline waits for it). */
	online?: boolean;
	onRetry: (entry: HistoryEntry) => void;
	/** Downloads, checks and decrypts a file in a message. */
	fetchFile?: (
		pointer: AttachmentPointer,
		onProgress: (done: number, total: number) => void,
	) => Promise<Blob>;
}) {
	const outgoing = entry.direction === "out";
	const waiting = isWaitingForResend(entry);
	return (
		<li
			class={`message message--${entry.direction}`}
			data-status={entry.status}
			data-waiting={outgoing && entry.status === "sending" && !online ? "connection" : undefined}
			data-id={entry.id}
			data-error={entry.error?.code}
			data-redelivery={entry.redelivery}
		>
			{entry.attachment && fetchFile ? (
				<AttachmentCard attachment={entry.attachment} fetchFile={fetchFile} />
			) : null}
			{entry.text === "" && entry.attachment ? null : <p class="message-text">{entry.text}</p>}
			<p class="message-meta">
				<span class="visually-hidden">{outgoing ? "You, " : "Them, "}</span>
				<time dateTime={new Date(entry.at).toISOString()}>{formatTime(entry.at)}</time>
				{outgoing ? (
					<span class="message-status"> · {deliveryLabel(entry, keyChangePending, online)}</span>
				) : null}
			</p>
			{entry.status === "failed" ? (
				<div class="message-failure">
					<p>
						{entry.error ? describeCode(entry.error.code, entry.error.message) : "This message was not sent."}
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
