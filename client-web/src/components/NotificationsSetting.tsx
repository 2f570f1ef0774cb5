// The Notifications setting: a switch for Web Push, with what it does and does not reveal. Hidden behind
// an explanation when this browser or this relay cannot push, or the user blocked notifications.
import type { AppController } from "../state/controller.ts";

export function NotificationsSetting({
	controller,
	notifications,
}: {
	controller: AppController;
	notifications: { status: string; busy: boolean };
}) {
	const { status, busy } = notifications;
	return (
		<section class="setting" aria-labelledby="notifications-title">
			<h3 id="notifications-title">Notifications</h3>
			{status === "unsupported" ? (
				<p>This browser cannot show FriendLy notifications while FriendLy is closed.</p>
			) : status === "unavailable" ? (
				<p>This FriendLy relay does not send notifications. Keep FriendLy open to see new messages.</p>
			) : status === "blocked" ? (
				<p>
					Notifications are blocked for this site. To get them, allow notifications in your browser's site
					settings, then come back here.
				</p>
			) : status === "checking" ? (
				<p role="status">Checking whether notifications are available…</p>
			) : (
				<div class="setting-row">
					<input
						id="notifications-switch"
						type="checkbox"
						role="switch"
						checked={status === "on"}
						aria-checked={status === "on"}
						disabled={busy}
						aria-describedby="notifications-hint"
						onChange={(event) =>
							void (event.currentTarget.checked
								? controller.enableNotifications()
								: controller.disableNotifications())
						}
					/>
					<label for="notifications-switch">Notify me of new messages while FriendLy is closed</label>
				</div>
			)}
			<p id="notifications-hint" class="hint">
				A notification says only “New message in FriendLy”: never who wrote or what. Your browser's push
				service (run by your browser's maker) learns when a notification is sent, not what the message says.
			</p>
		</section>
	);
}
