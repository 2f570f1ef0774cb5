// A banner under the top bar while the connection is down, saying in words what is happening and what
// the user can do (wait, check the network, or register again).
import type { AppState } from "../state/app-state.ts";
import { isReconnecting } from "./ConnectionStatus.tsx";

export function ConnectionBanner({ connection }: { connection: AppState["connection"] }) {
	const reconnecting = isReconnecting(connection);
	if (connection.state === "online" || (connection.state === "connecting" && !reconnecting)) return null;
	const text =
		connection.state === "offline"
			? `You are offline (${connection.detail}). FriendLy keeps trying; new messages arrive when the connection is back.`
			: reconnecting
				? "Reconnecting to the relay… Messages you send wait and go out when the connection is back."
				: `${connection.detail} Use “Connect again” to reconnect here.`;
	return (
		<p class={`banner banner--${reconnecting ? "offline" : connection.state}`} role="alert">
			{text}
		</p>
	);
}
