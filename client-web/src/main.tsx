// Entry point: checks that the browser can run FriendLy (WebCrypto needs a secure context, and Web
// Locks keep two tabs from writing the same keys), then starts the controller against the relay that
// served this page.
import { render } from "preact";
import { App } from "./App.tsx";
import { StatusScreen } from "./screens/StatusScreen.tsx";
import { AppController } from "./state/controller.ts";
import { hasWebLocks, WEB_LOCKS_MISSING } from "./state/single-tab.ts";
import "./styles.css";

const root = document.getElementById("app");
if (root) {
	if (!window.isSecureContext || !crypto.subtle) {
		render(
			<StatusScreen title="FriendLy needs a secure page">
				<p role="alert">
					Encryption in the browser only works over HTTPS (or on http://127.0.0.1 and http://localhost). Open
					FriendLy at its https:// address.
				</p>
			</StatusScreen>,
			root,
		);
	} else if (!hasWebLocks()) {
		// Nothing is opened or stored: without the lock a second tab could use the same ratchet keys.
		render(
			<StatusScreen title="FriendLy needs a current browser">
				<p role="alert">{WEB_LOCKS_MISSING}</p>
			</StatusScreen>,
			root,
		);
	} else {
		root.textContent = "";
		const controller = new AppController(location.origin);
		render(<App controller={controller} />, root);
		void controller.boot();
	}
}
