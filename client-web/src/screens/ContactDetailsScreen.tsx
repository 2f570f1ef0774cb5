// Contact details: the safety number as digits and as a QR code, whether the user verified it, and
// the "mark as verified" action. With a pending key change it shows the new number to compare.
import { useEffect, useState } from "preact/hooks";
import type { ContactRecord } from "../../../protocol/messenger/stores.ts";
import type { SafetyNumber } from "../../../protocol/session/index.ts";
import { BackLink } from "../components/BackLink.tsx";
import { QrCode } from "../components/QrCode.tsx";
import { SafetyNumberDigits } from "../components/SafetyNumberDigits.tsx";
import type { AppController } from "../state/controller.ts";
import { describeError } from "../state/error-text.ts";
import { hrefFor } from "../state/route.ts";

type Loaded =
	| { state: "loading" }
	| { state: "failed"; message: string }
	| { state: "ready"; number: SafetyNumber; verified: boolean; pending: SafetyNumber | null };

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
	const pendingKey = contact?.pendingIdentityChange?.current.signingKey ?? null;

	const load = async () => {
		try {
			const [current, pending] = await Promise.all([
				controller.safetyNumber(peer),
				controller.pendingSafetyNumber(peer),
			]);
			setLoaded({ state: "ready", number: current.safetyNumber, verified: current.verified, pending });
		} catch (error) {
			setLoaded({ state: "failed", message: describeError(error) });
		}
	};

	// Reload when the peer or its pending key changes.
	useEffect(() => {
		setLoaded({ state: "loading" });
		void load();
	}, [peer, pendingKey]);

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

	return (
		<section class="contact-details" aria-labelledby="contact-title">
			<div class="pane-header">
				<BackLink href={hrefFor({ name: "chat", peer })} label="Back to the conversation" />
				<h2 id="contact-title">Contact details</h2>
			</div>
			<div class="pane-body">
				<p class="contact-phone">{peer}</p>
				{loaded.state === "loading" ? <p role="status">Computing the safety number…</p> : null}
				{loaded.state === "failed" ? (
					<p class="form-error" role="alert">
						{loaded.message}
					</p>
				) : null}
				{loaded.state === "ready" ? (
					<>
						{loaded.pending ? (
							<div class="safety safety--pending">
								<h3>New safety number (not accepted yet)</h3>
								<p>
									{peer}'s key changed. Compare this new number with the one on their screen before you accept
									it in the conversation.
								</p>
								<SafetyNumberDigits number={loaded.pending} label="New safety number" />
							</div>
						) : null}
						<div class="safety">
							<h3>{loaded.pending ? "Previous safety number" : "Safety number"}</h3>
							<p>
								Compare these numbers with the ones {peer} sees in FriendLy, in person or on a call, or let
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
							{loaded.pending ? null : loaded.verified ? (
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
					</>
				) : null}
			</div>
		</section>
	);
}
