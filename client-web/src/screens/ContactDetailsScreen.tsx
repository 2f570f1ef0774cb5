// Contact details: the name the user gave the contact on this device (set, change, remove) above their
// number, the safety number as digits and as a QR code, whether the user verified it, and the "mark as
// verified" action. With a pending key change (the key-change screen) it shows the NEW number with its
// QR code to compare, "Accept new key" and "Reject new key", and below it the previous number, marked as
// previous and no longer verified (no QR code: it is not the one to compare). After a rejection it
// says so and offers to accept the rejected key after all (once the contact confirmed the change).
import { useEffect, useRef, useState } from "preact/hooks";
import type { ContactRecord } from "../../../protocol/messenger/stores.ts";
import type { SafetyNumber } from "../../../protocol/session/index.ts";
import { BackLink } from "../components/BackLink.tsx";
import { ContactNameForm } from "../components/ContactNameForm.tsx";
import { ExportChat } from "../components/ExportChat.tsx";
import { type KeyDecision, KeyDecisionButtons } from "../components/KeyDecisionButtons.tsx";
import { QrCode } from "../components/QrCode.tsx";
import { SafetyNumberDigits } from "../components/SafetyNumberDigits.tsx";
import type { AppController } from "../state/controller.ts";
import { describeError } from "../state/error-text.ts";
import { contactLabel } from "../state/format.ts";
import { hrefFor } from "../state/route.ts";

type Loaded =
	| { state: "loading" }
	| { state: "failed"; message: string }
	| {
			state: "ready";
			number: SafetyNumber;
			verified: boolean;
			pending: SafetyNumber | null;
			rejected: SafetyNumber | null;
	  };

const DECIDED: Record<KeyDecision | "accepted-after-all", string> = {
	accepted: "You accepted the new key. The safety number below is the new one.",
	rejected:
		"You rejected the new key. FriendLy keeps the previous one; messages signed by the new key are not shown.",
	"accepted-after-all": "You accepted the key you had rejected. The safety number below is the new one.",
};

export function ContactDetailsScreen({
	controller,
	peer,
	contact,
}: {
	controller: AppController;
	peer: string;
	contact: ContactRecord | undefined;
}) {
	const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });
	const [busy, setBusy] = useState(false);
	const [actionError, setActionError] = useState<string | null>(null);
	const [decided, setDecided] = useState<keyof typeof DECIDED | null>(null);
	const decidedNote = useRef<HTMLParagraphElement>(null);
	const name = contactLabel(contact, peer);
	const pendingKey = contact?.pendingIdentityChange?.current.signingKey ?? null;
	const rejectedKey = contact?.rejectedIdentityChange?.current.signingKey ?? null;

	const load = async () => {
		try {
			const [current, pending, rejected] = await Promise.all([
				controller.safetyNumber(peer),
				controller.pendingSafetyNumber(peer),
				controller.rejectedSafetyNumber(peer),
			]);
			setLoaded({
				state: "ready",
				number: current.safetyNumber,
				verified: current.verified,
				pending,
				rejected: pending ? null : rejected,
			});
		} catch (error) {
			setLoaded({ state: "failed", message: describeError(error) });
		}
	};

	// Reload when the peer, its pending key or its rejected key changes.
	useEffect(() => {
		setLoaded({ state: "loading" });
		void load();
	}, [peer, pendingKey, rejectedKey]);

	// The section with the focused button went away after a decision: the sentence saying what happened
	// takes the focus (and is read out).
	useEffect(() => {
		if (decided && loaded.state === "ready") decidedNote.current?.focus();
	}, [decided, loaded.state]);

	const setVerified = async (verified: boolean) => {
		setBusy(true);
		setActionError(null);
		try {
			await controller.markVerified(peer, verified);
			await load();
		} catch (error) {
			setActionError(describeError(error));
		} finally {
			setBusy(false);
		}
	};

	const acceptAfterAll = async () => {
		setBusy(true);
		setActionError(null);
		try {
			await controller.acceptIdentityChange(peer);
			setDecided("accepted-after-all");
		} catch (error) {
			setActionError(`The key could not be accepted. ${describeError(error)}`);
		} finally {
			setBusy(false);
		}
	};

	return (
		<section class="contact-details" aria-labelledby="contact-title">
			<div class="pane-header">
				<BackLink href={hrefFor({ name: "chat", peer })} label="Back to the conversation" />
				<h2 id="contact-title">Contact details</h2>
			</div>
			<div class="pane-body">
				{contact?.name ? <p class="contact-name">{contact.name}</p> : null}
				<p class="contact-phone">{peer}</p>
				<ContactNameForm name={contact?.name ?? null} onSave={(value) => controller.setName(peer, value)} />
				{loaded.state === "loading" ? <p role="status">Computing the safety number…</p> : null}
				{loaded.state === "failed" ? (
					<p class="form-error" role="alert">
						{loaded.message}
					</p>
				) : null}
				{decided && loaded.state === "ready" ? (
					<p class="decided" role="status" tabIndex={-1} ref={decidedNote}>
						{DECIDED[decided]}
					</p>
				) : null}
				{loaded.state === "ready" ? (
					<>
						{loaded.pending ? (
							<div class="safety safety--pending">
								<h3>New safety number (not verified)</h3>
								<p>
									{name}'s key changed. Compare this new number with the one on their screen, or let them scan
									the code, then accept it to continue the chat.
								</p>
								<div class="safety-row">
									<SafetyNumberDigits number={loaded.pending} label="New safety number" />
									<QrCode payload={loaded.pending.qrPayload} label="New safety number as a QR code" />
								</div>
								<p id="pending-reject-hint">
									Reject if you did not expect a change: messages signed by the new key are not shown and the
									sender is told.
								</p>
								<KeyDecisionButtons
									onAccept={() => controller.acceptIdentityChange(peer)}
									onReject={() => controller.rejectIdentityChange(peer)}
									onDecided={setDecided}
									rejectHintId="pending-reject-hint"
								/>
							</div>
						) : null}
						{loaded.pending ? (
							<div class="safety safety--previous">
								<h3>Previous safety number: no longer verified</h3>
								<p>
									This was the number with {name}'s previous key. It does not match their new key, so do not
									compare it.
									{loaded.verified
										? " You had verified it; that does not carry over to the new key."
										: " It was not verified."}
								</p>
								<SafetyNumberDigits number={loaded.number} label="Previous safety number" />
							</div>
						) : null}
						{loaded.rejected ? (
							<div class="safety safety--rejected">
								<h3>You rejected a new key</h3>
								<p>
									{name} presented a new security key and you rejected it. FriendLy keeps using the key you
									had: messages signed by the new key are not shown, and the sender is told they were not
									delivered.
								</p>
								<p>
									If {name} confirms the change was theirs (a reinstall or a new device), compare this number
									with the one on their screen, then accept the key after all.
								</p>
								<SafetyNumberDigits number={loaded.rejected} label="Rejected safety number" />
								<div class="actions">
									<button type="button" class="button" disabled={busy} onClick={() => void acceptAfterAll()}>
										Accept it after all
									</button>
								</div>
							</div>
						) : null}
						{loaded.pending ? null : (
							<div class="safety">
								<h3>{loaded.rejected ? "Current safety number" : "Safety number"}</h3>
								<p>
									Compare these numbers with the ones {name} sees in FriendLy, in person or on a call, or let
									them scan the code. If they match, nobody is in the middle of your chat.
								</p>
								<div class="safety-row">
									<SafetyNumberDigits number={loaded.number} label="Safety number" />
									<QrCode payload={loaded.number.qrPayload} label="Safety number as a QR code" />
								</div>
								<p class={`verified verified--${loaded.verified ? "yes" : "no"}`} role="status">
									{loaded.verified ? "✓ Verified: you compared this safety number." : "Not verified yet."}
								</p>
								{actionError ? (
									<p class="form-error" role="alert">
										{actionError}
									</p>
								) : null}
								{loaded.verified ? (
									<button
										type="button"
										class="button button--ghost"
										disabled={busy}
										onClick={() => setVerified(false)}
									>
										Clear verification
									</button>
								) : (
									<button type="button" class="button" disabled={busy} onClick={() => setVerified(true)}>
										Mark as verified
									</button>
								)}
							</div>
						)}
					</>
				) : null}
				<ExportChat controller={controller} peer={peer} />
			</div>
		</section>
	);
}
