// The message box. Enter sends, Shift+Enter starts a new line. Disabled (with the reason) while a key
// change is pending. The box clears at once; the message then shows its own delivery state.
import { useEffect, useRef, useState } from "preact/hooks";

export function Composer({
	disabledReason,
	onSend,
}: {
	disabledReason: string | null;
	/** Resolves with an error sentence when the message could not even be queued. */
	onSend: (text: string) => Promise<string | null>;
}) {
	const [text, setText] = useState("");
	const [error, setError] = useState<string | null>(null);
	const input = useRef<HTMLTextAreaElement>(null);
	const disabled = disabledReason !== null;

	// On a desktop-sized screen, opening a conversation puts the cursor in the message box (on a phone
	// that would pop up the keyboard over the messages, so it waits for a tap).
	useEffect(() => {
		if (window.matchMedia("(min-width: 768px)").matches) input.current?.focus();
	}, []);

	const submit = async () => {
		const message = text.trim();
		if (!message || disabled) return;
		setText("");
		setError(null);
		const failure = await onSend(message);
		if (failure) {
			setText(message);
			setError(failure);
		}
		input.current?.focus();
	};

	return (
		<form
			class="composer"
			onSubmit={(event) => {
				event.preventDefault();
				void submit();
			}}
		>
			{disabledReason ? <p class="composer-blocked">{disabledReason}</p> : null}
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			<div class="composer-row">
				<label class="visually-hidden" for="composer-input">
					Message
				</label>
				<textarea
					id="composer-input"
					ref={input}
					rows={1}
					placeholder={disabled ? "Sending is paused" : "Write a message"}
					value={text}
					disabled={disabled}
					maxLength={16000}
					onInput={(event) => setText(event.currentTarget.value)}
					onKeyDown={(event) => {
						if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
							event.preventDefault();
							void submit();
						}
					}}
				/>
				<button type="submit" class="button" disabled={disabled || text.trim() === ""}>
					Send
				</button>
			</div>
		</form>
	);
}
