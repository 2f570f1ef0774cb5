// The live connection to the relay, always visible in the top bar: connecting / online / offline /
// reconnecting (with backoff) / disconnected. What to do about it is in the banner below the bar.
import type { AppState } from "../state/app-state.ts";

const LABELS = {
	connecting: "Connecting…",
	online: "Online",
	offline: "Offline",
	stopped: "Disconnected",
} as const;

export function isReconnecting(connection: AppState["connection"]): boolean {
	return connection.state === "connecting" && connection.detail.startsWith("reconnecting");
}

export function ConnectionStatus({ connection }: { connection: AppState["connection"] }) {
	const detail =
		connection.state === "offline"
			? `Reconnecting: ${connection.detail}. Messages you send wait until the connection is back.`
			: connection.state === "stopped"
				? connection.detail
				: isReconnecting(connection)
					? `Trying to reconnect (${connection.detail}).`
					: connection.state === "connecting"
						? "Connecting to the relay…"
						: "Connected. Messages arrive live.";
	return (
		<p
			class={`connection connection--${connection.state}`}
			role="status"
			aria-live="polite"
			data-state={connection.state}
			title={detail}
		>
			<span class="connection-dot" aria-hidden="true" />
			<span class="connection-label">
				{isReconnecting(connection) ? "Reconnecting…" : LABELS[connection.state]}
			</span>
			<span class="visually-hidden">. {detail}</span>
		</p>
	);
}
