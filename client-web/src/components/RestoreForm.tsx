// The registration screen's "Restore from a backup": a backup file and its recovery key. Everything is
// checked before anything is written; afterwards the user registers, and the history is there.
import { useState } from "preact/hooks";
import type { AppController } from "../state/controller.ts";
import { describeError } from "../state/error-text.ts";

function count(n: number, noun: string): string {
	return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

export function RestoreForm({ controller }: { controller: AppController }) {
	const [file, setFile] = useState<File | null>(null);
	const [key, setKey] = useState("");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const [done, setDone] = useState<string | null>(null);
	return (
		<form
			class="form restore-form"
			aria-labelledby="restore-title"
			onSubmit={async (event) => {
				event.preventDefault();
				if (!file) return;
				setBusy(true);
				setError(null);
				try {
					const restored = await controller.restore(file, key);
					setDone(
						`Restored ${count(restored.messagesAdded, "message")} with ${count(restored.contacts, "contact")}${
							restored.phone ? ` from ${restored.phone}` : ""
						}. Now register above${restored.verifyAgain.length > 0 ? `, then verify ${restored.verifyAgain.join(", ")} again` : ""}.`,
					);
				} catch (failure) {
					setError(describeError(failure));
				} finally {
					setBusy(false);
				}
			}}
		>
			<h2 id="restore-title">Restore from a backup</h2>
			<label for="restore-file">Backup file</label>
			<input
				id="restore-file"
				type="file"
				onChange={(event) => setFile(event.currentTarget.files?.[0] ?? null)}
			/>
			<label for="restore-key">Recovery key</label>
			<input
				id="restore-key"
				type="text"
				autocomplete="off"
				spellcheck={false}
				value={key}
				aria-describedby="restore-key-hint"
				aria-invalid={error ? "true" : undefined}
				onInput={(event) => setKey(event.currentTarget.value)}
			/>
			<p id="restore-key-hint" class="hint">
				The 30 characters shown when the backup was made; dashes and spaces do not matter.
			</p>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			{done ? (
				<p class="setting-done" role="status">
					{done}
				</p>
			) : null}
			<button
				type="submit"
				class="button button--ghost button--wide"
				disabled={busy || !file || key.trim() === ""}
			>
				{busy ? "Restoring…" : "Restore"}
			</button>
		</form>
	);
}
