// The contact's name on this device: a labelled field with "Save name" and, once a name is set,
// "Remove name". Names stay in this browser (ContactRecord.name); they are never sent to the relay or
// the contact. The messenger core checks them (1–64 characters, no control characters) and its
// `invalid_name` error is shown under the field.
import { useEffect, useState } from "preact/hooks";
import { describeError } from "../state/error-text.ts";

export function ContactNameForm({
	name,
	onSave,
}: {
	name: string | null;
	onSave: (name: string | null) => Promise<void>;
}) {
	const [value, setValue] = useState(name ?? "");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const [saved, setSaved] = useState<string | null>(null);

	// The stored name changed (saved here, or elsewhere): show it.
	useEffect(() => setValue(name ?? ""), [name]);

	const save = async (next: string | null) => {
		setBusy(true);
		setError(null);
		setSaved(null);
		try {
			await onSave(next);
			setSaved(next === null ? "Name removed." : "Name saved.");
		} catch (failure) {
			setError(describeError(failure));
		} finally {
			setBusy(false);
		}
	};

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
				type="text"
				autocomplete="off"
				value={value}
				aria-describedby="contact-name-hint"
				aria-invalid={error ? "true" : "false"}
				onInput={(event) => setValue(event.currentTarget.value)}
			/>
			<p id="contact-name-hint" class="hint">
				Only on this device: FriendLy never sends it to the relay or to them.
			</p>
			{error ? (
				<p class="form-error" role="alert">
					{error}
				</p>
			) : null}
			{saved ? (
				<p class="hint" role="status">
					{saved}
				</p>
			) : null}
			<div class="actions">
				<button type="submit" class="button button--small" disabled={busy || value.trim() === (name ?? "")}>
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
			</div>
		</form>
	);
}
