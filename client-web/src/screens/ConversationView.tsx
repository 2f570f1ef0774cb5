// One conversation: the messages (incoming ones appear live) under a heading for each day, each of ours
// with its delivery state, the composer, the key-change notice that pauses sending until the user
// accepts or rejects the new key, and a short note while a key the user rejected is kept out.
import { useEffect, useRef } from "preact/hooks";
import type { ContactRecord, HistoryEntry } from "../../../protocol/messenger/stores.ts";
import type { UploadProgress } from "../attachments/web-files.ts";
import { BackLink } from "../components/BackLink.tsx";
import { Composer } from "../components/Composer.tsx";
import { KeyChangeNotice } from "../components/KeyChangeNotice.tsx";
import { MessageItem } from "../components/MessageItem.tsx";
import { SystemEntryItem } from "../components/SystemEntryItem.tsx";
import type { AppController } from "../state/controller.ts";
import { describeError } from "../state/error-text.ts";
import { contactLabel, dayKey, dayLabel } from "../state/format.ts";
import { hrefFor } from "../state/route.ts";

export function ConversationView({
	controller,
	peer,
	contact,
	verified,
	online,
	entries,
}: {
	controller: AppController;
	peer: string;
	contact: ContactRecord | undefined;
	/** The user verified the contact's pinned key (not a pending new one). */
	verified: boolean;
	/** The relay connection is up: sends still "sending" while it is not wait for it. */
	online: boolean;
	entries: readonly HistoryEntry[] | undefined;
}) {
	const name = contactLabel(contact, peer);
	const list = useRef<HTMLDivElement>(null);
	const change = contact?.pendingIdentityChange;
	const rejected = change ? undefined : contact?.rejectedIdentityChange;
	/** After a key decision the notice (and its focused button) goes away: the cursor moves to the message box. */
	const focusComposer = useRef(false);

	useEffect(() => {
		void controller.openConversation(peer);
		return () => void controller.openConversation(null);
	}, [controller, peer]);

	// Keep the newest message in view when one arrives or the key-change notice comes or goes (deps).
	const count = entries?.length ?? 0;
	const blocked = change !== undefined;
	useEffect(() => {
		const element = list.current;
		if (element && count > 0) element.scrollTop = element.scrollHeight;
	}, [count, blocked]);

	const moveFocusToComposer = () => {
		const input = document.getElementById("composer-input");
		if (!focusComposer.current || !(input instanceof HTMLTextAreaElement) || input.disabled) return;
		focusComposer.current = false;
		input.focus();
	};
	// The box is enabled once the stored decision reaches the screen, which may be before or after the
	// decision's promise resolves.
	useEffect(moveFocusToComposer, [blocked]);

	const send = async (text: string): Promise<string | null> => {
		try {
			await controller.send(peer, text);
			return null;
		} catch (error) {
			return describeError(error);
		}
	};

	const sendFile = async (file: File, onProgress: (progress: UploadProgress) => void) => {
		try {
			await controller.sendFile(peer, file, onProgress);
			return null;
		} catch (error) {
			return describeError(error);
		}
	};

	const resend = async (entry: HistoryEntry): Promise<void> => {
		try {
			await controller.resend(peer, entry.id);
		} catch (error) {
			controller.addNotice(describeError(error), peer);
		}
	};

	return (
		<section class="conversation" aria-labelledby="conversation-title">
			<div class="pane-header">
				<BackLink href={hrefFor({ name: "list" })} label="Back to chats" />
				<h2 id="conversation-title" class="conversation-title">
					<span class="conversation-peer">{name}</span>
					{verified && !change ? (
						<span class="tag tag--ok">
							<span aria-hidden="true">✓</span>
							<span class="tag-text"> Verified</span>
						</span>
					) : null}
				</h2>
				<a class="button button--small button--ghost" href={hrefFor({ name: "contact", peer })}>
					<span class="only-wide">Contact details</span>
					<span class="only-narrow">Details</span>
				</a>
			</div>
			{change ? (
				<KeyChangeNotice
					change={change}
					name={name}
					onAccept={() => controller.acceptIdentityChange(peer)}
					onReject={() => controller.rejectIdentityChange(peer)}
					onDecided={() => {
						focusComposer.current = true;
						moveFocusToComposer();
					}}
				/>
			) : null}
			{rejected ? (
				<p class="key-rejected">
					You rejected a new safety number for {name}: their messages signed by that key are not shown, and
					what you send can only be read with their previous key.{" "}
					<a href={hrefFor({ name: "contact", peer })}>Review it in contact details</a>
				</p>
			) : null}
			<div
				ref={list}
				class="messages"
				role="log"
				aria-live="polite"
				aria-label={`Messages with ${name}`}
				// biome-ignore lint/a11y/noNoninteractiveTabindex: the keyboard must be able to scroll it even when it holds no link or button (WCAG 2.1.1)
				tabIndex={0}
			>
				{entries && entries.length === 0 ? (
					<p class="messages-empty">
						Messages are end-to-end encrypted. Say hello — they will get it even if they are offline right
						now.
					</p>
				) : null}
				<ol class="message-list">
					{withDays(entries ?? []).map((item) =>
						item.kind === "day" ? (
							<li key={`day:${item.key}`} class="day-separator">
								<h3 class="day-label">{item.label}</h3>
							</li>
						) : item.entry.direction === "system" ? (
							<SystemEntryItem key={`system:${item.entry.id}`} entry={item.entry} name={name} />
						) : (
							<MessageItem
								key={`${item.entry.direction}:${item.entry.id}`}
								entry={item.entry}
								keyChangePending={blocked}
								online={online}
								onRetry={(failed) => void resend(failed)}
								fetchFile={(pointer, onProgress) => controller.fetchFile(pointer, onProgress)}
							/>
						),
					)}
				</ol>
			</div>
			<Composer
				disabledReason={change ? "Sending is paused until you accept or reject the new safety number." : null}
				onSend={send}
				onSendFile={sendFile}
			/>
		</section>
	);
}

type Item = { kind: "day"; key: string; label: string } | { kind: "entry"; entry: HistoryEntry };

/** The entries (in time order) with a heading before the first one of each calendar day. */
function withDays(entries: readonly HistoryEntry[], now = Date.now()): Item[] {
	const items: Item[] = [];
	let day = "";
	for (const entry of entries) {
		const key = dayKey(entry.at);
		if (key !== day) {
			day = key;
			items.push({ kind: "day", key, label: dayLabel(entry.at, now) });
		}
		items.push({ kind: "entry", entry });
	}
	return items;
}
