// A banner under the top bar while the connection is down, saying in words what is happening and what
// the user can do: wait (offline, reconnecting), register again (the relay signed this browser out),
// connect again (another client took over this phone's connection) or reload (newer relay protocol).
import type { AppState } from "../state/app-state.ts";
import { isReconnecting } from "./ConnectionStatus.tsx";

export function ConnectionBanner({
	connection,
	onRegisterAgain,
	onReconnect,
}: {
	connection: AppState["connection"];
	onRegisterAgain: () => void;
	onReconnect: () => void;
}) {
	const reconnecting = isReconnecting(connection);
	if (connection.state === "online" || (connection.state === "connecting" && !reconnecting)) return null;
	if (connection.state === "stopped") {
		switch (connection.reason) {
			case "signed_out":
				return (
					<StoppedBanner
						text="This browser was signed out: the number was registered again, probably on another device. Register again to use FriendLy here; your chats stay."
						action="Register again"
						onAction={onRegisterAgain}
					/>
				);
			case "replaced":
				return (
					<StoppedBanner
						text="FriendLy connected with this number somewhere else (another browser or the CLI), so this window stopped. Connect again to use it here."
						action="Connect again"
						onAction={onReconnect}
					/>
				);
			case "unsupported_protocol":
				return (
					<StoppedBanner
						text="The relay was updated and speaks a newer version. Reload the page to get the matching FriendLy."
						action="Reload"
						onAction={() => location.reload()}
					/>
				);
			default:
				// Stopped by this app itself (another tab took over, or registering again): nothing to say.
				return null;
		}
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

function StoppedBanner({ text, action, onAction }: { text: string; action: string; onAction: () => void }) {
	return (
		<div class="banner banner--stopped" role="alert">
			<p>{text}</p>
			<button type="button" class="button button--small" onClick={onAction}>
				{action}
			</button>
		</div>
	);
}
