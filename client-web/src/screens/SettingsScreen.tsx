// Settings: the Notifications switch (Web Push), Back up (an encrypted download), and deleting the account (with a typed confirmation).
import { BackLink } from "../components/BackLink.tsx";
import { BackupSetting } from "../components/BackupSetting.tsx";
import { DeleteAccountSetting } from "../components/DeleteAccountSetting.tsx";
import { NotificationsSetting } from "../components/NotificationsSetting.tsx";
import type { AppState } from "../state/app-state.ts";
import type { AppController } from "../state/controller.ts";
import { hrefFor } from "../state/route.ts";

export function SettingsScreen({ controller, state }: { controller: AppController; state: AppState }) {
	return (
		<section class="settings" aria-labelledby="settings-title">
			<div class="pane-header">
				<BackLink href={hrefFor({ name: "list" })} label="Back to chats" />
				<h2 id="settings-title">Settings</h2>
			</div>
			<div class="pane-body">
				<NotificationsSetting controller={controller} notifications={state.notifications} />
				<BackupSetting controller={controller} />
				{state.me ? <DeleteAccountSetting controller={controller} me={state.me} /> : null}
			</div>
		</section>
	);
}
