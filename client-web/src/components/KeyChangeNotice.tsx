// The prominent notice shown when a contact's identity key changed. Sending, and showing their messages
// signed by the new key, is paused until the user accepts the new key or rejects it (keeping the old
// one), as in the trusted messengers.
import type { IdentityChangeEvent } from "../../../protocol/session/index.ts";
import { hrefFor } from "../state/route.ts";
import { type KeyDecision, KeyDecisionButtons } from "./KeyDecisionButtons.tsx";

export function KeyChangeNotice({
	change,
	name,
	onAccept,
	onReject,
	onDecided,
}: {
	change: IdentityChangeEvent;
	/** What the user calls the contact (their name on this device, or the number). */
	name: string;
	onAccept: () => Promise<void>;
	onReject: () => Promise<void>;
	onDecided?: (decision: KeyDecision) => void;
}) {
	return (
		<section class="key-change" role="alert" aria-labelledby="key-change-title">
			<h3 id="key-change-title">Safety number changed</h3>
			<p>
				{name}'s security key changed. This happens when they reinstall FriendLy or register on a new device —
				or when someone tries to intercept your messages.
				{change.previouslyVerified ? " You had verified their previous key." : ""}
			</p>
			<p>
				Sending is paused and their messages signed by the new key wait. Compare the new safety number with
				them (in person or on a call), then accept the new key to continue.
			</p>
			<p id="key-change-reject-hint">
				Reject if you did not expect a change: messages signed by the new key are not shown and the sender is
				told.
			</p>
			<KeyDecisionButtons
				onAccept={onAccept}
				onReject={onReject}
				rejectHintId="key-change-reject-hint"
				{...(onDecided ? { onDecided } : {})}
				leading={
					<a class="button button--ghost" href={hrefFor({ name: "contact", peer: change.phone })}>
						Compare safety number
					</a>
				}
			/>
		</section>
	);
}
