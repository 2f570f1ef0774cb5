// Problems reported by the messenger core (a message that failed its checks, a full mailbox that has
// room again, ...) as dismissable notices, each announced to screen readers as an alert.
import type { Notice } from "../state/app-state.ts";

export function Notices({
	notices,
	onDismiss,
}: {
	notices: readonly Notice[];
	onDismiss: (id: number) => void;
}) {
	return (
		<section class="notices" aria-label="Notifications">
			{notices.map((notice) => (
				<div key={notice.id} class="notice" role="alert">
					<p>{notice.message}</p>
					<button
						type="button"
						class="button button--small button--ghost"
						onClick={() => onDismiss(notice.id)}
					>
						Dismiss
					</button>
				</div>
			))}
		</section>
	);
}
