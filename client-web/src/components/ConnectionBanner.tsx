// A banner under the top bar while the connection is down, saying in words what is happening and what
// the user can do (wait, check the network, or register again).
import type { AppState } from "../state/app-state.ts";

export function ConnectionBanner({ connection }: { connection: AppState["connection"] }) {
	if (connection.state === "online" || connection.state === "connecting") return null;
	const text =
		connection.state === "offline"
			? `You are offline (${connection.detail}). FriendLy keeps trying; new messages arrive when the connection is back.`
			: `${connection.detail}`;
	return (
		<p class={`banner banner--${connection.state}`} role="alert">
			{text}
		</p>
	);
}
