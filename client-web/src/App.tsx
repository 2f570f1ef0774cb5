// The app shell: picks the screen from the app phase and the hash route. Phone width shows one pane at
// a time (the list, or the open screen); desktop shows the list beside the open screen.
import { useEffect } from "preact/hooks";
import type { ContactRecord } from "../../protocol/messenger/stores.ts";
import { ConnectionBanner } from "./components/ConnectionBanner.tsx";
import { ConnectionStatus } from "./components/ConnectionStatus.tsx";
import { Notices } from "./components/Notices.tsx";
import { NotificationsPrompt } from "./components/NotificationsPrompt.tsx";
import { ContactDetailsScreen } from "./screens/ContactDetailsScreen.tsx";
import { ConversationList } from "./screens/ConversationList.tsx";
import { ConversationView } from "./screens/ConversationView.tsx";
import { NewChatScreen } from "./screens/NewChatScreen.tsx";
import { RegisterScreen } from "./screens/RegisterScreen.tsx";
import { SettingsScreen } from "./screens/SettingsScreen.tsx";
import { StatusScreen } from "./screens/StatusScreen.tsx";
import type { AppState } from "./state/app-state.ts";
import type { AppController } from "./state/controller.ts";
import { hrefFor, type Route, useRoute } from "./state/route.ts";
import { useStore } from "./state/store.ts";

export function App({ controller }: { controller: AppController }) {
	const state = useStore(controller.state);
	const route = useRoute();
	const unread = state.contacts.reduce((sum, contact) => sum + contact.unread, 0);
	useEffect(() => {
		document.title = unread > 0 ? `(${unread}) FriendLy` : "FriendLy";
	}, [unread]);
	const activePeer = route.name === "chat" || route.name === "contact" ? route.peer : null;
	const contact = activePeer ? state.contacts.find((c) => c.phone === activePeer) : undefined;
	// The open chat or contact details show a key change themselves: its toast is no longer needed.
	const keyChangeToasts = state.notices.filter((n) => n.keyChange).length;
	useEffect(() => {
		if (activePeer) controller.dismissKeyChangeNotices(activePeer);
	}, [activePeer, keyChangeToasts]);

	if (state.tab === "waiting") {
		return (
			<StatusScreen title="FriendLy is open in another tab">
				<p>Only one tab can be connected at a time. Use the other tab, or move FriendLy here.</p>
				<button type="button" class="button button--wide" onClick={() => void controller.boot(true)}>
					Use FriendLy in this tab
				</button>
			</StatusScreen>
		);
	}
	if (state.tab === "stopped") {
		return (
			<StatusScreen title="FriendLy moved to another tab">
				<p role="alert">
					Another tab took FriendLy over, so this tab stopped: it no longer sends, receives or uses your keys.
				</p>
				<button type="button" class="button button--wide" onClick={() => void controller.boot(true)}>
					Use FriendLy in this tab
				</button>
			</StatusScreen>
		);
	}
	if (state.phase === "loading") {
		return (
			<StatusScreen title="FriendLy">
				<p role="status">Opening your encrypted storage…</p>
			</StatusScreen>
		);
	}
	if (state.phase === "failed") {
		return (
			<StatusScreen title="FriendLy cannot start">
				<p role="alert">{state.failure}</p>
			</StatusScreen>
		);
	}
	if (state.phase === "register")
		return (
			<RegisterScreen
				controller={controller}
				lastPhone={state.lastPhone}
				pending={state.pendingVerification}
				deletedPhone={state.deletedPhone}
			/>
		);

	return (
		<div class={`shell shell--${route.name === "list" ? "list" : "detail"}`}>
			<header class="topbar">
				<p class="brand brand--small">FriendLy</p>
				<p class="me">
					<span class="visually-hidden">Signed in as </span>
					{state.me}
				</p>
				<ConnectionStatus connection={state.connection} />
				<a class="button button--small button--ghost" href={hrefFor({ name: "settings" })}>
					Settings
				</a>
			</header>
			<ConnectionBanner
				connection={state.connection}
				onRegisterAgain={() => void controller.registerAgain()}
				onReconnect={() => controller.reconnect()}
			/>
			<div class="panes">
				<aside class="sidebar">
					<ConversationList contacts={state.contacts} verified={state.verified} activePeer={activePeer} />
					{showNotificationsPrompt(state) ? (
						<NotificationsPrompt controller={controller} busy={state.notifications.busy} />
					) : null}
				</aside>
				<main class="pane">{renderPane(route, controller, state, contact)}</main>
			</div>
			<Notices notices={state.notices} onDismiss={(id) => controller.dismissNotice(id)} />
		</div>
	);
}

/** After the first conversation, while notifications are off and the user has not said "Not now". */
function showNotificationsPrompt(state: AppState): boolean {
	const { status, promptDismissed } = state.notifications;
	return status === "off" && !promptDismissed && state.contacts.length > 0;
}

function renderPane(
	route: Route,
	controller: AppController,
	state: AppState,
	contact: ContactRecord | undefined,
) {
	switch (route.name) {
		case "new":
			return <NewChatScreen controller={controller} />;
		case "settings":
			return <SettingsScreen controller={controller} state={state} />;
		case "chat":
			return (
				<ConversationView
					key={route.peer}
					controller={controller}
					peer={route.peer}
					contact={contact}
					verified={state.verified.has(route.peer)}
					online={state.connection.state === "online"}
					entries={state.conversations.get(route.peer)}
				/>
			);
		case "contact":
			return (
				<ContactDetailsScreen key={route.peer} controller={controller} peer={route.peer} contact={contact} />
			);
		case "list":
			return (
				<div class="pane-empty">
					<p>Pick a chat, or start a new one.</p>
				</div>
			);
	}
}
