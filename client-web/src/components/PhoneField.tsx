// The labelled phone-number input used by registration and "New chat": same keyboard, autocomplete,
// example and invalid state in both, with a screen-specific hint.
import type { Ref } from "preact";

export function PhoneField({
	id,
	hint,
	value,
	invalid,
	onInput,
	inputRef,
}: {
	id: string;
	hint: string;
	value: string;
	invalid: boolean;
	onInput: (value: string) => void;
	inputRef?: Ref<HTMLInputElement>;
}) {
	return (
		<>
			<label for={id}>Phone number</label>
			<input
				id={id}
				ref={inputRef}
				type="tel"
				autocomplete="tel"
				inputMode="tel"
				placeholder="+1 555 555 0100"
				required
				value={value}
				aria-describedby={`${id}-hint`}
				aria-invalid={invalid ? "true" : "false"}
				onInput={(event) => onInput(event.currentTarget.value)}
			/>
			<p id={`${id}-hint`} class="hint">
				{hint}
			</p>
		</>
	);
}
