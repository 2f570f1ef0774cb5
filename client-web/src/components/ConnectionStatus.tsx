// The live connection to the relay, always visible in the top bar: connecting / online / offline
// (reconnecting with backoff) / stopped, with a way out when the relay signed this browser out.
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

export function ConnectionStatus({
	connection,
	signedOut,
	onRegisterAgain,
	onReconnect,
}: {
	connection: AppState["connection"];
	signedOut: boolean;
	onRegisterAgain: () => void;
	onReconnect: () => void;
}) {
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
		<div class={`connection connection--${connection.state}`}>
			<p
				class="connection-state"
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
			{signedOut ? (
				<button type="button" class="button button--small" onClick={onRegisterAgain}>
					Register again
				</button>
			) : connection.state === "stopped" ? (
				<button type="button" class="button button--small" onClick={onReconnect}>
					Connect again
				</button>
			) : null}
		</div>
	);
}
