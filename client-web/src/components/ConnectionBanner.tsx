// A banner under the top bar while the connection is down, saying in words what is happening and what
// the user can do: wait (offline, reconnecting), register again (the relay signed this browser out),
// or connect again (another client took over this phone's connection).
import type { AppState } from "../state/app-state.ts";
import { isReconnecting } from "./ConnectionStatus.tsx";

export function ConnectionBanner({
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
	const reconnecting = isReconnecting(connection);
	if (connection.state === "online" || (connection.state === "connecting" && !reconnecting)) return null;
	if (connection.state === "stopped") {
		return (
			<div class="banner banner--stopped" role="alert">
				<p>
					{signedOut
						? "This browser was signed out: the number was registered again, probably on another device. Register again to use FriendLy here; your chats stay."
						: `${connection.detail} Connect again to use FriendLy here.`}
				</p>
				{signedOut ? (
					<button type="button" class="button button--small" onClick={onRegisterAgain}>
						Register again
					</button>
				) : (
					<button type="button" class="button button--small" onClick={onReconnect}>
						Connect again
					</button>
				)}
			</div>
		);
	}
	return (
		<div class="banner banner--offline" role="alert">
			<p>
				{reconnecting
					? "Reconnecting to the relay… Messages you send wait and go out when the connection is back."
					: `You are offline (${connection.detail}). FriendLy keeps trying; new messages arrive when the connection is back.`}
			</p>
		</div>
	);
}
