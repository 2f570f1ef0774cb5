// Settings → Back up: downloads an encrypted backup of this browser's contacts and messages and shows
// its recovery key once, grouped for reading aloud. The key is not stored anywhere: the screen says
// so, and says what the file and key together reveal (docs/SECURITY.md §Backups).
import { useState } from "preact/hooks";
import type { AppController } from "../state/controller.ts";
import { describeError } from "../state/error-text.ts";

export function BackupSetting({ controller }: { controller: AppController }) {
	const [busy, setBusy] = useState(false);
	const [made, setMade] = useState<{ recoveryKey: string; messages: number } | null>(null);
	const [error, setError] = useState<string | null>(null);
	return (
		<section class="setting" aria-labelledby="backup-title">
			<h3 id="backup-title">Back up</h3>
			<p>
				Downloads an encrypted file with your contacts, their names and your messages, and shows the recovery
				key that opens it. Your keys are not in it: after a restore you register again, and your contacts see
				a new safety number.
			</p>
			{made ? (
				<div class="setting-done" role="status">
					<p>
						Backed up {made.messages === 1 ? "1 message" : `${made.messages} messages`}. Your recovery key
						(shown only now, write it down):
					</p>
					<p class="recovery-key" data-testid="recovery-key">
						{made.recoveryKey}
					</p>
					<p>Keep it apart from the file: together they let anyone read your messages.</p>
				</div>
			) : null}
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			<button
				type="button"
				class="button button--wide"
				disabled={busy}
				onClick={async () => {
					setBusy(true);
					setError(null);
					try {
						const backup = await controller.backup();
						const url = URL.createObjectURL(backup.file);
						const link = document.createElement("a");
						link.href = url;
						link.download = backup.fileName;
						link.click();
						setTimeout(() => URL.revokeObjectURL(url), 60_000);
						setMade({ recoveryKey: backup.recoveryKey, messages: backup.messages });
					} catch (failure) {
						setError(`No backup was made: ${describeError(failure)}`);
					} finally {
						setBusy(false);
					}
				}}
			>
				{busy ? "Backing up…" : "Back up"}
			</button>
		</section>
	);
}
