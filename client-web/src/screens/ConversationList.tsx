// The conversation list: every contact with the last message, its time and the unread count, newest
// first. A pending key change is flagged here too.
import type { ContactRecord } from "../../../protocol/messenger/stores.ts";
import { formatWhen } from "../state/format.ts";
import { hrefFor } from "../state/route.ts";

export function ConversationList({
	contacts,
	activePeer,
}: {
	contacts: readonly ContactRecord[];
	activePeer: string | null;
}) {
	return (
		<nav class="conversations" aria-labelledby="conversations-title">
			<div class="pane-header">
				<h2 id="conversations-title">Chats</h2>
				<a class="button button--small" href={hrefFor({ name: "new" })}>
					New chat
				</a>
			</div>
			{contacts.length === 0 ? (
				<p class="empty">No chats yet. Choose “New chat” and enter a phone number to start one.</p>
			) : (
				<ul class="conversation-items">
					{contacts.map((contact) => (
						<li key={contact.phone}>
							<a
								class={`conversation-item${contact.phone === activePeer ? " conversation-item--active" : ""}${contact.unread > 0 ? " conversation-item--unread" : ""}`}
								href={hrefFor({ name: "chat", peer: contact.phone })}
								aria-current={contact.phone === activePeer ? "page" : undefined}
								data-phone={contact.phone}
								data-unread={contact.unread}
							>
								<span class="conversation-top">
									<span class="conversation-phone">{contact.phone}</span>
									<span class="conversation-when">{formatWhen(contact.lastAt)}</span>
								</span>
								<span class="conversation-bottom">
									<span class="conversation-last">
										{contact.pendingIdentityChange ? (
											<span class="tag tag--warning">Safety number changed</span>
										) : null}
										{contact.lastText || "No messages yet"}
									</span>
									{contact.unread > 0 ? (
										<span class="unread">
											{contact.unread}
											<span class="visually-hidden"> unread</span>
										</span>
									) : null}
								</span>
							</a>
						</li>
					))}
				</ul>
			)}
		</nav>
	);
}
