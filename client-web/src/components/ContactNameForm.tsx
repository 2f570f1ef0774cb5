// The contact's name on this device. Folded to one button ("Add a name" / "Edit name") so it never
// pushes the safety number down; opened, a labelled field with "Save name", "Cancel" and, once a name is
// set, "Remove name". Names stay in this browser (ContactRecord.name); they are never sent to the relay
// or the contact. The messenger core checks them (1–64 characters, no control characters) and its
// `invalid_name` error is shown under the field.
import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "../state/error-text.ts";

export function ContactNameForm({
	name,
	onSave,
}: {
	name: string | null;
	onSave: (name: string | null) => Promise<void>;
}) {
	const [open, setOpen] = useState(false);
	const [value, setValue] = useState(name ?? "");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const [saved, setSaved] = useState<string | null>(null);
	const field = useRef<HTMLInputElement>(null);
	const toggle = useRef<HTMLButtonElement>(null);
	/** Where the keyboard focus goes after the form folds (the button that opened it). */
	const refocus = useRef(false);

	// The stored name changed (saved here, or elsewhere): show it.
	useEffect(() => setValue(name ?? ""), [name]);
	useEffect(() => {
		if (open) field.current?.focus();
		else if (refocus.current) {
			refocus.current = false;
			toggle.current?.focus();
		}
	}, [open]);

	const close = () => {
		refocus.current = true;
		setOpen(false);
		setError(null);
	};

	const save = async (next: string | null) => {
		setBusy(true);
		setError(null);
		setSaved(null);
		try {
			await onSave(next);
			setSaved(next === null ? "Name removed." : "Name saved.");
			close();
		} catch (failure) {
			setError(describeError(failure));
		} finally {
			setBusy(false);
		}
	};

	if (!open) {
		return (
			<div class="contact-name-row">
				<button
					type="button"
					class="button button--small button--ghost"
					ref={toggle}
					onClick={() => {
						setValue(name ?? "");
						setSaved(null);
						setOpen(true);
					}}
				>
					{name ? "Edit name" : "Add a name"}
				</button>
				{saved ? (
					<p class="hint" role="status">
						{saved}
					</p>
				) : null}
			</div>
		);
	}

	return (
		<form
			class="form contact-name-form"
			onSubmit={(event) => {
				event.preventDefault();
				void save(value);
			}}
		>
			<label for="contact-name">Name</label>
			<input
				id="contact-name"
				ref={field}
				type="text"
				autocomplete="off"
				value={value}
				aria-describedby="contact-name-hint"
				aria-invalid={error ? "true" : "false"}
				onInput={(event) => setValue(event.currentTarget.value)}
				onKeyDown={(event) => {
					if (event.key === "Escape") close();
				}}
			/>
			<p id="contact-name-hint" class="hint">
				Only on this device: FriendLy never sends it to the relay or to them.
			</p>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			<div class="actions">
				<button type="submit" class="button button--small" disabled={busy || value.trim() === ""}>
					Save name
				</button>
				{name ? (
					<button
						type="button"
						class="button button--small button--ghost"
						disabled={busy}
						onClick={() => void save(null)}
					>
						Remove name
					</button>
				) : null}
				<button type="button" class="button button--small button--ghost" disabled={busy} onClick={close}>
					Cancel
				</button>
			</div>
		</form>
	);
}
