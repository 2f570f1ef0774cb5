// The gentle offer of notifications: shown beside the chats once there is a conversation, never on a
// first visit and never as the browser's own permission prompt (that comes only from the button).
// "Not now" dismisses it for good; the setting stays in Settings.
import type { AppController } from "../state/controller.ts";

export function NotificationsPrompt({ controller, busy }: { controller: AppController; busy: boolean }) {
	return (
		<aside class="prompt" aria-labelledby="notifications-prompt-title">
			<h2 id="notifications-prompt-title">Know when a message arrives?</h2>
			<p>FriendLy can notify you while it is closed. The notification says only “New message in FriendLy”.</p>
			<div class="prompt-actions">
				<button
					type="button"
					class="button button--small"
					disabled={busy}
					onClick={() => void controller.enableNotifications()}
				>
					Turn on notifications
				</button>
				<button
					type="button"
					class="button button--small button--ghost"
					onClick={() => controller.dismissNotificationPrompt()}
				>
					Not now
				</button>
			</div>
		</aside>
	);
}
