// The one limit on a text message (issue 16): MAX_TEXT_CHARS characters, counted as the messenger core
// counts them. The composer shows a counter as the limit nears and refuses a paste that would pass it,
// saying so — it never cuts a message silently.
import { MAX_TEXT_CHARS } from "../../../protocol/messenger/content.ts";

export { MAX_TEXT_CHARS };

/** The counter appears when this few characters are left. */
export const COUNTER_FROM_LEFT = 1_000;

const number = new Intl.NumberFormat("en-US");

/** The length the core checks (UTF-16 code units, as `text.length` and the textarea count). */
export function textLength(text: string): number {
	return text.length;
}

/** The counter line, or null while the message is far from the limit. */
export function counterText(length: number): string | null {
	const left = MAX_TEXT_CHARS - length;
	if (left > COUNTER_FROM_LEFT) return null;
	if (left >= 0) return `${number.format(left)} ${left === 1 ? "character" : "characters"} left`;
	return `${number.format(-left)} ${left === -1 ? "character" : "characters"} too many: a message is ${number.format(MAX_TEXT_CHARS)} characters at most. Shorten it or split it.`;
}

/** Why a paste was refused: it would make the message `length` characters. */
export function pasteRefusedText(length: number): string {
	return `Nothing was pasted: the message would have ${number.format(length)} characters, and a message is ${number.format(MAX_TEXT_CHARS)} at most. Paste a shorter part, or split it into several messages.`;
}
