// The message box. Enter sends, Shift+Enter starts a new line. Disabled (with the reason) while a key
// change is pending. The box clears at once; the message then shows its own delivery state.
// A message is at most MAX_TEXT_CHARS characters: a counter appears as the limit nears, a paste that
// would pass it is refused with a sentence saying so (never cut), and an over-long message is not sent.
// A file being sent shows a progress bar (role=progressbar with aria-valuenow): encryption, then the
// upload itself; a polite live region says when it starts and when it is done.
import { useEffect, useRef, useState } from "preact/hooks";
import type { UploadProgress } from "../attachments/web-files.ts";
import { counterText, MAX_TEXT_CHARS, pasteRefusedText, textLength } from "../state/text-limit.ts";

export function Composer({
	disabledReason,
	onSend,
	onSendFile,
}: {
	disabledReason: string | null;
	/** Resolves with an error sentence when the message could not even be queued. */
	onSend: (text: string) => Promise<string | null>;
	/** Encrypts, uploads and sends a file; resolves with an error sentence when it failed. */
	onSendFile?: (file: File, onProgress: (progress: UploadProgress) => void) => Promise<string | null>;
}) {
	const [text, setText] = useState("");
	const [error, setError] = useState<string | null>(null);
	const [upload, setUpload] = useState<{
		name: string;
		phase: UploadProgress["phase"];
		percent: number;
	} | null>(null);
	const [announcement, setAnnouncement] = useState("");
	const [dragging, setDragging] = useState(false);
	const fileInput = useRef<HTMLInputElement>(null);

	const sendFile = async (file: File) => {
		if (!onSendFile || disabledReason !== null || upload) return;
		setError(null);
		setUpload({ name: file.name, phase: "encrypting", percent: 0 });
		setAnnouncement(`Sending ${file.name}.`);
		const failure = await onSendFile(file, ({ phase, done, total }) =>
			setUpload({ name: file.name, phase, percent: total === 0 ? 100 : Math.floor((done / total) * 100) }),
		);
		setUpload(null);
		// A failure is announced by its alert; success here.
		setAnnouncement(failure ? "" : `${file.name} sent.`);
		if (failure) setError(failure);
	};
	const input = useRef<HTMLTextAreaElement>(null);
	const disabled = disabledReason !== null;
	const length = textLength(text);
	const counter = counterText(length);
	const tooLong = length > MAX_TEXT_CHARS;

	// On a desktop-sized screen, opening a conversation puts the cursor in the message box (on a phone
	// that would pop up the keyboard over the messages, so it waits for a tap).
	useEffect(() => {
		if (window.matchMedia("(min-width: 768px)").matches) input.current?.focus();
	}, []);

	const submit = async () => {
		const message = text.trim();
		if (!message || disabled || textLength(message) > MAX_TEXT_CHARS) return;
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
			class={`composer${dragging ? " composer--drop" : ""}`}
			onSubmit={(event) => {
				event.preventDefault();
				void submit();
			}}
			onDragOver={(event) => {
				if (!onSendFile || disabled || !event.dataTransfer?.types.includes("Files")) return;
				event.preventDefault();
				setDragging(true);
			}}
			onDragLeave={() => setDragging(false)}
			onDrop={(event) => {
				setDragging(false);
				const file = event.dataTransfer?.files[0];
				if (!file || !onSendFile || disabled) return;
				event.preventDefault();
				void sendFile(file);
			}}
		>
			{disabledReason ? <p class="composer-blocked">{disabledReason}</p> : null}
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			<p class="visually-hidden" role="status" aria-live="polite">
				{announcement}
			</p>
			{upload ? (
				<div class="composer-upload">
					<span id="composer-upload-label">
						{upload.phase === "encrypting" ? "Encrypting" : "Uploading"} {upload.name}
					</span>
					<div
						class="upload-bar"
						role="progressbar"
						aria-labelledby="composer-upload-label"
						aria-valuemin={0}
						aria-valuemax={100}
						aria-valuenow={upload.percent}
						aria-valuetext={`${upload.percent}%`}
					>
						<span class="upload-bar-fill" style={{ width: `${upload.percent}%` }} />
					</div>
					<span aria-hidden="true">{upload.percent}%</span>
				</div>
			) : null}
			<div class="composer-row">
				{onSendFile ? (
					<>
						<input
							ref={fileInput}
							id="composer-file"
							class="visually-hidden"
							type="file"
							aria-label="Attach a file"
							tabIndex={-1}
							disabled={disabled || upload !== null}
							onChange={(event) => {
								const file = event.currentTarget.files?.[0];
								event.currentTarget.value = "";
								if (file) void sendFile(file);
							}}
						/>
						<button
							type="button"
							class="button button--ghost"
							disabled={disabled || upload !== null}
							onClick={() => fileInput.current?.click()}
						>
							Attach<span class="visually-hidden"> a file (or drop one here)</span>
						</button>
					</>
				) : null}
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
					aria-describedby={counter ? "composer-count" : undefined}
					aria-invalid={tooLong ? "true" : undefined}
					onInput={(event) => {
						setText(event.currentTarget.value);
						if (error && textLength(event.currentTarget.value) <= MAX_TEXT_CHARS) setError(null);
					}}
					onPaste={(event) => {
						const box = event.currentTarget;
						const pasted = event.clipboardData?.getData("text/plain") ?? "";
						const kept = textLength(box.value) - (box.selectionEnd - box.selectionStart);
						const after = kept + textLength(pasted);
						if (after <= MAX_TEXT_CHARS) return;
						event.preventDefault();
						setError(pasteRefusedText(after));
					}}
					onKeyDown={(event) => {
						if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
							event.preventDefault();
							void submit();
						}
					}}
				/>
				<button type="submit" class="button" disabled={disabled || text.trim() === "" || tooLong}>
					Send
				</button>
			</div>
			{counter ? (
				<p id="composer-count" class={`composer-count${tooLong ? " composer-count--over" : ""}`}>
					{counter}
				</p>
			) : null}
		</form>
	);
}
