// The prominent notice shown when a contact's identity key changed. Sending (and showing their new
// messages) is paused until the user accepts the new key, as in the trusted messengers.
import { useState } from "preact/hooks";
import type { IdentityChangeEvent } from "../../../protocol/session/index.ts";
import { hrefFor } from "../state/route.ts";

export function KeyChangeNotice({
	change,
	onAccept,
}: {
	change: IdentityChangeEvent;
	onAccept: () => Promise<void>;
}) {
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const accept = async () => {
		setBusy(true);
		setError(null);
		try {
			await onAccept();
		} catch {
			setError("The new key could not be accepted. Reload the page and try again.");
		} finally {
			setBusy(false);
		}
	};
	return (
		<section class="key-change" role="alert" aria-labelledby="key-change-title">
			<h3 id="key-change-title">Safety number changed</h3>
			<p>
				{change.phone}'s security key changed. This happens when they reinstall FriendLy or register on a new
				device — or when someone tries to intercept your messages.
				{change.previouslyVerified ? " You had verified their previous key." : ""}
			</p>
			<p>
				Sending is paused and their new messages wait. Compare the new safety number with them (in person or
				on a call), then accept the new key to continue.
			</p>
			<div class="actions">
				<a class="button button--ghost" href={hrefFor({ name: "contact", peer: change.phone })}>
					Compare safety number
				</a>
				<button type="button" class="button button--warning" disabled={busy} onClick={accept}>
					Accept new key
				</button>
			</div>
			{error ? <p class="form-error">{error}</p> : null}
		</section>
	);
}
