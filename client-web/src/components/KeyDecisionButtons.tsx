// Accept or reject a contact's changed identity key: the two buttons of the conversation's key-change
// notice and of the contact details, with their busy state and a sentence when the choice failed.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { describeError } from "../state/error-text.ts";

export type KeyDecision = "accepted" | "rejected";

export function KeyDecisionButtons({
	onAccept,
	onReject,
	onDecided,
	rejectHintId,
	leading,
}: {
	onAccept: () => Promise<void>;
	onReject: () => Promise<void>;
	/** After the choice was stored (the notice that holds the buttons then goes away). */
	onDecided?: (decision: KeyDecision) => void;
	/** The paragraph saying what rejecting does; screen readers read it with the Reject button. */
	rejectHintId: string;
	/** Shown first in the row (the "Compare safety number" link in the conversation). */
	leading?: ComponentChildren;
}) {
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const decide = async (decision: KeyDecision) => {
		setBusy(true);
		setError(null);
		try {
			await (decision === "accepted" ? onAccept() : onReject());
			onDecided?.(decision);
		} catch (failure) {
			const what = decision === "accepted" ? "accepted" : "rejected";
			setError(`The new key could not be ${what}. ${describeError(failure)}`);
		} finally {
			setBusy(false);
		}
	};
	return (
		<>
			<div class="actions">
				{leading}
				<button
					type="button"
					class="button button--warning"
					disabled={busy}
					onClick={() => void decide("accepted")}
				>
					Accept new key
				</button>
				<button
					type="button"
					class="button button--ghost"
					disabled={busy}
					aria-describedby={rejectHintId}
					onClick={() => void decide("rejected")}
				>
					Reject new key
				</button>
			</div>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
		</>
	);
}
