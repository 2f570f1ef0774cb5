// The one text limit (issue 16), end to end through the real relay with its default 65,536-byte
// envelope: a text of MAX_TEXT_CHARS characters of the worst kinds for its size — control characters
// and quotes (which JSON escapes), 3-byte characters, emoji — is sent, stored by the relay and shown
// unchanged; one character more is refused by the sender, in words that say the limit. The encoding
// itself (and reading the old JSON content) is covered in test/fast/content.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_TEXT_CHARS, MessengerError } from "../../protocol/messenger/index.ts";
import { received, registerUser, type TestUser } from "../support/messenger-user.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";

let relay: RunningRelay;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
	relay = await startRelay();
	alice = await registerUser(relay.url, "+1 555 555 0811");
	bob = await registerUser(relay.url, "+1 555 555 0812");
	alice.messenger.start();
	bob.messenger.start();
	await Promise.all([alice.messenger.waitForDrain(), bob.messenger.waitForDrain()]);
}, 60_000);

afterAll(async () => {
	alice?.messenger.stop();
	bob?.messenger.stop();
	await relay?.close();
});

/** `label`, then `unit` repeated to exactly MAX_TEXT_CHARS UTF-16 code units. */
function fullText(label: string, unit: string): string {
	const room = MAX_TEXT_CHARS - label.length;
	return label + unit.repeat(Math.floor(room / unit.length)) + "x".repeat(room % unit.length);
}

const WORST_CASES: [string, string][] = [
	["control characters", fullText("ctl ", "\u0001")],
	["quotes and backslashes", fullText("quotes ", '"\\')],
	["3-byte characters", fullText("cjk ", "語")],
	["emoji", fullText("emoji ", "🦊")],
];

describe("a text of 16,000 characters", () => {
	it.each(WORST_CASES)(
		"of %s reaches the recipient through the real relay, unchanged",
		async (_kind, text) => {
			expect(text.length).toBe(MAX_TEXT_CHARS);
			const entry = await alice.messenger.send(bob.phone, text);
			expect(entry.status, JSON.stringify(entry.error)).toMatch(/^(sent|queued)$/);
			await bob.until((events) => received(events).includes(text), "the long text at bob");
			await alice.until(
				(events) => events.some((e) => e.type === "status" && e.id === entry.id && e.status === "delivered"),
				"its receipt",
			);
		},
	);

	it("one character more is refused before anything is sent, saying the limit and the length", async () => {
		const error = await alice.messenger
			.send(bob.phone, "y".repeat(MAX_TEXT_CHARS + 1))
			.catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(MessengerError);
		expect(error).toMatchObject({
			code: "too_large",
			message: "16,000 characters at most; this one has 16,001 — split it.",
			textLength: 16_001,
		});
	});
});
