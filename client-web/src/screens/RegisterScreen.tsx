// Registration: the phone number, then the 6-digit code. With the relay's development `echo`
// delivery the code is shown here; otherwise the screen says where it was sent. A code asked for
// earlier and still valid survives a reload (the pending verification in the account store): the
// screen then offers "I already have a code" for that number, and "Send a new code" with the time left
// before the relay accepts another request.
import { useEffect, useRef, useState } from "preact/hooks";
import type { PendingVerification } from "../../../protocol/messenger/stores.ts";
import type { CodeRequestResponse } from "../../../protocol/wire/index.ts";
import { PhoneField } from "../components/PhoneField.tsx";
import { RestoreForm } from "../components/RestoreForm.tsx";
import type { AppController } from "../state/controller.ts";
import { describeError } from "../state/error-text.ts";
import { formatTime } from "../state/format.ts";

/** A code asked for: just now (with the relay's answer) or before a reload (the pending verification). */
interface CodeRequest {
	readonly phone: string;
	/** How the relay delivered it; unknown after a reload. */
	readonly delivery: CodeRequestResponse["delivery"] | null;
	/** Only with the development relay's `echo` delivery, and never stored. */
	readonly code?: string;
	/** When the relay accepts a request for a new code (ms since epoch). */
	readonly resendAt: number;
}

function fromResponse(response: CodeRequestResponse): CodeRequest {
	return {
		phone: response.phone,
		delivery: response.delivery,
		...(response.code ? { code: response.code } : {}),
		resendAt: Date.now() + response.resendAfter * 1000,
	};
}

function fromPending(pending: PendingVerification): CodeRequest {
	return { phone: pending.phone, delivery: null, resendAt: pending.resendAt };
}

/** Whole seconds until `at`, counted down once a second. */
function useSecondsUntil(at: number): number {
	const left = () => Math.max(0, Math.ceil((at - Date.now()) / 1000));
	const [seconds, setSeconds] = useState(left);
	useEffect(() => {
		setSeconds(left());
		const timer = setInterval(() => setSeconds(left()), 1000);
		return () => clearInterval(timer);
	}, [at]);
	return seconds;
}

export function RegisterScreen({
	controller,
	lastPhone,
	pending,
	deletedPhone = null,
}: {
	controller: AppController;
	lastPhone: string | null;
	pending: PendingVerification | null;
	/** The account this tab just deleted: said once, above the form. */
	deletedPhone?: string | null;
}) {
	const [request, setRequest] = useState<CodeRequest | null>(null);
	/** The user chose another number over the pending code. */
	const [otherNumber, setOtherNumber] = useState(false);
	const onRequested = (response: CodeRequestResponse) => setRequest(fromResponse(response));
	return (
		<main class="register" aria-labelledby="register-title">
			<div class="register-card">
				<h1 id="register-title" class="brand">
					FriendLy
				</h1>
				<p class="lead">End-to-end encrypted messages. Only you and the person you write to can read them.</p>
				{deletedPhone ? (
					<p class="setting-done" role="status">
						Your account {deletedPhone} was deleted from the relay and this browser.
					</p>
				) : null}
				{request ? (
					<CodeStep
						controller={controller}
						request={request}
						onRestart={() => {
							setRequest(null);
							setOtherNumber(true);
						}}
						onResent={onRequested}
					/>
				) : pending && !otherNumber ? (
					<PendingStep
						controller={controller}
						pending={pending}
						onHaveCode={() => setRequest(fromPending(pending))}
						onRequested={onRequested}
						onOtherNumber={() => setOtherNumber(true)}
					/>
				) : (
					<PhoneStep controller={controller} initialPhone={lastPhone ?? ""} onRequested={onRequested} />
				)}
				<RestoreForm controller={controller} />
			</div>
		</main>
	);
}

function PhoneStep({
	controller,
	initialPhone,
	onRequested,
}: {
	controller: AppController;
	initialPhone: string;
	onRequested: (response: CodeRequestResponse) => void;
}) {
	const [phone, setPhone] = useState(initialPhone);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	return (
		<form
			class="form"
			onSubmit={async (event) => {
				event.preventDefault();
				setBusy(true);
				setError(null);
				try {
					onRequested(await controller.requestCode(phone));
				} catch (failure) {
					setError(describeError(failure));
				} finally {
					setBusy(false);
				}
			}}
		>
			<h2>Register your phone</h2>
			<PhoneField
				id="register-phone"
				hint="Start with + and your country code. We send a 6-digit code to check it is yours."
				value={phone}
				invalid={Boolean(error)}
				onInput={setPhone}
			/>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			<button type="submit" class="button button--wide" disabled={busy || phone.trim() === ""}>
				{busy ? "Sending code…" : "Send code"}
			</button>
		</form>
	);
}

/** After a reload: the code asked for earlier is still valid. Use it, ask for a new one, or start over. */
function PendingStep({
	controller,
	pending,
	onHaveCode,
	onRequested,
	onOtherNumber,
}: {
	controller: AppController;
	pending: PendingVerification;
	onHaveCode: () => void;
	onRequested: (response: CodeRequestResponse) => void;
	onOtherNumber: () => void;
}) {
	const wait = useSecondsUntil(pending.resendAt);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const first = useRef<HTMLButtonElement>(null);
	useEffect(() => first.current?.focus(), []);
	return (
		<div class="form">
			<h2>You asked for a code</h2>
			<p>
				A code was sent for <strong>{pending.phone}</strong>. It works until {formatTime(pending.expiresAt)}.
			</p>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			<button type="button" class="button button--wide" ref={first} disabled={busy} onClick={onHaveCode}>
				I already have a code
			</button>
			<div class="form-links">
				<ResendButton
					wait={wait}
					disabled={busy}
					onClick={async () => {
						setBusy(true);
						setError(null);
						try {
							onRequested(await controller.requestCode(pending.phone));
						} catch (failure) {
							setError(describeError(failure));
						} finally {
							setBusy(false);
						}
					}}
				/>
				<button
					type="button"
					class="button button--ghost button--small"
					disabled={busy}
					onClick={onOtherNumber}
				>
					Use a different number
				</button>
			</div>
		</div>
	);
}

/** "Send a new code", disabled with the seconds left until the relay accepts another request. */
function ResendButton({ wait, disabled, onClick }: { wait: number; disabled: boolean; onClick: () => void }) {
	return (
		<button
			type="button"
			class="button button--ghost button--small"
			disabled={wait > 0 || disabled}
			onClick={onClick}
		>
			{wait > 0 ? `Send a new code (${wait} s)` : "Send a new code"}
		</button>
	);
}

function CodeStep({
	controller,
	request,
	onRestart,
	onResent,
}: {
	controller: AppController;
	request: CodeRequest;
	onRestart: () => void;
	onResent: (response: CodeRequestResponse) => void;
}) {
	const [code, setCode] = useState("");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const wait = useSecondsUntil(request.resendAt);
	const input = useRef<HTMLInputElement>(null);

	useEffect(() => {
		input.current?.focus();
	}, [request]);

	const where =
		request.delivery === "webhook"
			? `We sent a 6-digit code by SMS to ${request.phone}.`
			: request.delivery === "console"
				? `This development relay wrote the code for ${request.phone} to its log instead of sending an SMS.`
				: request.delivery === "echo"
					? `Enter the code for ${request.phone}.`
					: `Enter the code you received for ${request.phone}.`;

	return (
		<form
			class="form"
			onSubmit={async (event) => {
				event.preventDefault();
				setBusy(true);
				setError(null);
				try {
					await controller.register(request.phone, code);
				} catch (failure) {
					setError(describeError(failure));
					setBusy(false);
				}
			}}
		>
			<h2>Enter the code</h2>
			<p>{where}</p>
			{request.code ? (
				<p class="dev-code" role="status">
					Development relay: it shows the code here instead of sending an SMS. Your code is{" "}
					<strong data-testid="echo-code">{request.code}</strong>
				</p>
			) : null}
			<label for="register-code">Verification code</label>
			<input
				id="register-code"
				ref={input}
				type="text"
				inputMode="numeric"
				autocomplete="one-time-code"
				pattern="[0-9]{6}"
				maxLength={6}
				required
				value={code}
				aria-invalid={error ? "true" : "false"}
				onInput={(event) => setCode(event.currentTarget.value.replace(/\D/g, ""))}
			/>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			<button type="submit" class="button button--wide" disabled={busy || code.length !== 6}>
				{busy ? "Checking…" : "Verify"}
			</button>
			<div class="form-links">
				<ResendButton
					wait={wait}
					disabled={busy}
					onClick={async () => {
						setError(null);
						try {
							onResent(await controller.requestCode(request.phone));
						} catch (failure) {
							setError(describeError(failure));
						}
					}}
				/>
				<button type="button" class="button button--ghost button--small" onClick={onRestart} disabled={busy}>
					Use a different number
				</button>
			</div>
		</form>
	);
}
