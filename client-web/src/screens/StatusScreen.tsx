// A centred card for states where the app cannot show chats: loading, failed, open in another tab.
import type { ComponentChildren } from "preact";

export function StatusScreen({ title, children }: { title: string; children: ComponentChildren }) {
	return (
		<main class="register" aria-labelledby="status-title">
			<div class="register-card">
				<h1 id="status-title" class="brand">
					{title}
				</h1>
				{children}
			</div>
		</main>
	);
}
