// A line the app wrote into the conversation (HistoryEntry.direction "system"): a changed safety
// number, the user's own trust decisions, a message that could not be delivered. Centred and quiet,
// with its time; the words come from `system.event` (the core's sentence for "not delivered", which
// names the message and the reason).
import type { HistoryEntry, SystemEvent } from "../../../protocol/messenger/stores.ts";
import { formatTime } from "../state/format.ts";

function words(event: SystemEvent, name: string, text: string): string {
	switch (event) {
		case "safety_number_changed":
			return `Safety number changed: ${name} has a new key. Compare it before you continue.`;
		case "verified":
			return `You verified ${name}'s safety number.`;
		case "unverified":
			return `You cleared the verification of ${name}'s safety number.`;
		case "key_accepted":
			return `You accepted ${name}'s new key (not verified yet).`;
		case "key_rejected":
			return `You rejected ${name}'s new key: messages signed by it are not shown.`;
		case "not_delivered":
			return text;
	}
}

export function SystemEntryItem({ entry, name }: { entry: HistoryEntry; name: string }) {
	const event = entry.system?.event;
	return (
		<li class={`system-entry system-entry--${event ?? "note"}`} data-event={event} data-id={entry.id}>
			<p>
				{event ? words(event, name, entry.text) : entry.text}{" "}
				<time class="system-entry-time" dateTime={new Date(entry.at).toISOString()}>
					{formatTime(entry.at)}
				</time>
			</p>
		</li>
	);
}
