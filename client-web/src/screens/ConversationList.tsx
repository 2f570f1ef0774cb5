// The conversation list: every contact (by the name the user gave them, else the number) with the last
// message, its time and the unread count, newest first. A verified contact has a ✓; a pending key
// change is flagged here too (and hides the ✓: the new key is not verified).
import type { ContactRecord } from "../../../protocol/messenger/stores.ts";
import { contactLabel, formatWhen } from "../state/format.ts";
import { hrefFor } from "../state/route.ts";

export function ConversationList({
	contacts,
	verified,
	activePeer,
}: {
	contacts: readonly ContactRecord[];
	verified: ReadonlySet<string>;
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
								data-verified={isVerified(contact, verified) ? "true" : "false"}
							>
								<span class="conversation-top">
									<span class="conversation-phone">
										{contactLabel(contact, contact.phone)}
										{isVerified(contact, verified) ? (
											<span class="verified-mark">
												<span aria-hidden="true"> ✓</span>
												<span class="visually-hidden"> (verified)</span>
											</span>
										) : null}
									</span>
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

function isVerified(contact: ContactRecord, verified: ReadonlySet<string>): boolean {
	return verified.has(contact.phone) && !contact.pendingIdentityChange;
}
