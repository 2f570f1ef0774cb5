// Registration: the phone number, then the 6-digit code. With the relay's development `echo`
// delivery the code is shown here; otherwise the screen says where it was sent.
import { useEffect, useRef, useState } from "preact/hooks";
import type { CodeRequestResponse } from "../../../protocol/wire/index.ts";
import { PhoneField } from "../components/PhoneField.tsx";
import type { AppController } from "../state/controller.ts";
import { describeError } from "../state/error-text.ts";

export function RegisterScreen({
	controller,
	lastPhone,
}: {
	controller: AppController;
	lastPhone: string | null;
}) {
	const [request, setRequest] = useState<CodeRequestResponse | null>(null);
	return (
		<main class="register" aria-labelledby="register-title">
			<div class="register-card">
				<h1 id="register-title" class="brand">
					FriendLy
				</h1>
				<p class="lead">End-to-end encrypted messages. Only you and the person you write to can read them.</p>
				{request ? (
					<CodeStep
						controller={controller}
						request={request}
						onRestart={() => setRequest(null)}
						onResent={setRequest}
					/>
				) : (
					<PhoneStep controller={controller} initialPhone={lastPhone ?? ""} onRequested={setRequest} />
				)}
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

function CodeStep({
	controller,
	request,
	onRestart,
	onResent,
}: {
	controller: AppController;
	request: CodeRequestResponse;
	onRestart: () => void;
	onResent: (response: CodeRequestResponse) => void;
}) {
	const [code, setCode] = useState("");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const [wait, setWait] = useState(request.resendAfter);
	const input = useRef<HTMLInputElement>(null);

	useEffect(() => {
		input.current?.focus();
		setWait(request.resendAfter);
		const timer = setInterval(() => setWait((left) => Math.max(0, left - 1)), 1000);
		return () => clearInterval(timer);
	}, [request]);

	const where =
		request.delivery === "webhook"
			? `We sent a 6-digit code by SMS to ${request.phone}.`
			: request.delivery === "console"
				? `This development relay wrote the code for ${request.phone} to its log instead of sending an SMS.`
				: `Enter the code for ${request.phone}.`;

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
				<button
					type="button"
					class="button button--ghost button--small"
					disabled={wait > 0 || busy}
					onClick={async () => {
						setError(null);
						try {
							onResent(await controller.requestCode(request.phone));
						} catch (failure) {
							setError(describeError(failure));
						}
					}}
				>
					{wait > 0 ? `Send a new code (${wait} s)` : "Send a new code"}
				</button>
				<button type="button" class="button button--ghost button--small" onClick={onRestart} disabled={busy}>
					Use a different number
				</button>
			</div>
		</form>
	);
}
