// The 60-digit safety number in 12 groups of five, laid out in rows of four so two people can read it
// to each other. Screen readers get the groups as one labelled block.
import type { SafetyNumber } from "../../../protocol/session/index.ts";

export function SafetyNumberDigits({ number, label }: { number: SafetyNumber; label: string }) {
	return (
		<figure class="safety-digits" aria-label={label} data-digits={number.digits}>
			{number.groups.map((group, index) => (
				<span key={`${index}`} class="safety-group">
					{group}
				</span>
			))}
		</figure>
	);
}
