// System entries (HistoryEntry.direction "system"): lines the app writes into a conversation when
// something happens to it that is not a message — a changed safety number, the user's own trust
// decisions, a message that could not be delivered. Their `text` is a short English sentence for
// clients that show it as is; `system` says what happened for clients that use their own words.
import { randomId } from "../crypto/webcrypto.ts";
import { type HistoryEntry, MESSENGER_STATE_VERSION, type SystemInfo } from "./stores.ts";

const SNIPPET_CHARS = 40;

export function systemEntry(peer: string, at: number, system: SystemInfo, text: string): HistoryEntry {
	return {
		v: MESSENGER_STATE_VERSION,
		peer,
		// A local id: system entries never reach the relay; "sys-" keeps them apart from relay ids.
		id: `sys-${randomId()}`,
		direction: "system",
		text,
		at,
		status: "received",
		system,
	};
}

export const SYSTEM_TEXT = {
	safety_number_changed:
		"Safety number changed: a new key answers for this number. Compare safety numbers, then accept or reject it.",
	verified: "You marked the safety number as verified.",
	unverified: "You marked the safety number as not verified.",
	key_accepted: "You accepted the new safety number (not verified yet).",
	key_rejected: "You rejected the new key; messages signed by it are not shown.",
} as const;

/** "Not delivered: “the first words…” — why." for a message that ended failed. */
export function notDeliveredEntryText(message: HistoryEntry, why: string): string {
	const chars = [...message.text];
	const snippet = chars.length > SNIPPET_CHARS ? `${chars.slice(0, SNIPPET_CHARS).join("")}…` : message.text;
	const reason = why.replace(/^Not (delivered|sent):\s*/, "");
	return `Not delivered: “${snippet.replace(/\s+/g, " ")}” — ${reason}`;
}
