// Settings → Delete account: deletes the account on the relay and then everything FriendLy keeps in this
// browser. The user types their number to confirm (the CLI asks the same); the button stays disabled
// until it matches. Nothing here changes until the relay confirmed.
import { useState } from "preact/hooks";
import { normalisePhone } from "../../../protocol/wire/index.ts";
import type { AppController } from "../state/controller.ts";
import { describeError } from "../state/error-text.ts";

export function DeleteAccountSetting({ controller, me }: { controller: AppController; me: string }) {
	const [typed, setTyped] = useState("");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const parsed = normalisePhone(typed);
	const matches = parsed.ok && parsed.phone === me;
	return (
		<section class="setting" aria-labelledby="delete-account-title">
			<h3 id="delete-account-title">Delete account</h3>
			<p id="delete-account-hint">
				Deletes {me} from the relay (contacts who write to it are told it is not on FriendLy) and then every
				message, contact and key in this browser. This cannot be undone; back up first if you want your
				history.
			</p>
			<form
				class="form"
				onSubmit={async (event) => {
					event.preventDefault();
					if (!matches) return;
					setBusy(true);
					setError(null);
					try {
						await controller.deleteAccount(typed);
					} catch (failure) {
						setError(`Nothing was deleted: ${describeError(failure)}`);
						setBusy(false);
					}
				}}
			>
				<label for="delete-account-phone">Type your number to confirm</label>
				<input
					id="delete-account-phone"
					type="tel"
					autocomplete="off"
					value={typed}
					aria-describedby="delete-account-hint"
					aria-invalid={error ? "true" : undefined}
					onInput={(event) => setTyped(event.currentTarget.value)}
				/>
				{error ? (
					<p class="form-error" role="alert">
						{error}
					</p>
				) : null}
				<button type="submit" class="button button--danger button--wide" disabled={busy || !matches}>
					{busy ? "Deleting…" : "Delete my account"}
				</button>
			</form>
		</section>
	);
}
