// One conversation: the messages (incoming ones appear live), each of ours with its delivery state,
// the composer, and the key-change notice that pauses sending until the user accepts the new key.
import { useEffect, useRef, useState } from "preact/hooks";
import type { ContactRecord, HistoryEntry } from "../../../protocol/messenger/stores.ts";
import { BackLink } from "../components/BackLink.tsx";
import { Composer } from "../components/Composer.tsx";
import { KeyChangeNotice } from "../components/KeyChangeNotice.tsx";
import { MessageItem } from "../components/MessageItem.tsx";
import type { AppController } from "../state/controller.ts";
import { describeError } from "../state/error-text.ts";
import { hrefFor } from "../state/route.ts";

export function ConversationView({
	controller,
	peer,
	contact,
	entries,
}: {
	controller: AppController;
	peer: string;
	contact: ContactRecord | undefined;
	entries: readonly HistoryEntry[] | undefined;
}) {
	const list = useRef<HTMLDivElement>(null);
	const change = contact?.pendingIdentityChange;
	const [verified, setVerified] = useState(false);

	useEffect(() => {
		let current = true;
		controller.isVerified(peer).then(
			(value) => current && setVerified(value),
			() => current && setVerified(false),
		);
		return () => {
			current = false;
		};
	}, [controller, peer, change]);

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

	const send = async (text: string): Promise<string | null> => {
		try {
			await controller.send(peer, text);
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
					<span class="conversation-peer">{peer}</span>
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
				<KeyChangeNotice change={change} onAccept={() => controller.acceptIdentityChange(peer)} />
			) : null}
			<div ref={list} class="messages" role="log" aria-live="polite" aria-label={`Messages with ${peer}`}>
				{entries && entries.length === 0 ? (
					<p class="messages-empty">
						Messages are end-to-end encrypted. Say hello — they will get it even if they are offline right
						now.
					</p>
				) : null}
				<ol class="message-list">
					{entries?.map((entry) => (
						<MessageItem
							key={`${entry.direction}:${entry.id}`}
							entry={entry}
							onRetry={(failed) => void resend(failed)}
						/>
					))}
				</ol>
			</div>
			<Composer
				disabledReason={change ? "Sending is paused until you accept the new safety number." : null}
				onSend={send}
			/>
		</section>
	);
}
