// The web client's pure pieces, without a browser: hash routes, how the conversation state merges
// store changes, and the sentences shown for the errors people meet most.
import { describe, expect, it } from "vitest";
import { upsertContact, upsertEntry } from "../../client-web/src/state/app-state.ts";
import { describeCode, describeError } from "../../client-web/src/state/error-text.ts";
import { dayLabel, deliveryLabel, isWaitingForResend } from "../../client-web/src/state/format.ts";
import { hrefFor, parseRoute } from "../../client-web/src/state/route.ts";
import { TabLock, TabLockLostError, WebLocksMissingError } from "../../client-web/src/state/single-tab.ts";
import { counterText, MAX_TEXT_CHARS, pasteRefusedText } from "../../client-web/src/state/text-limit.ts";
import type { UserFacingCode } from "../../protocol/messenger/codes.ts";
import { MessengerError } from "../../protocol/messenger/errors.ts";
import type { ContactRecord, HistoryEntry } from "../../protocol/messenger/stores.ts";

function entry(id: string, at: number, status: HistoryEntry["status"] = "sending"): HistoryEntry {
	return { v: 1, peer: "+15555550100", id, direction: "out", text: id, at, status };
}

function contact(phone: string, lastAt: number): ContactRecord {
	return { v: 1, phone, unread: 0, lastAt, lastText: "" };
}

describe("routes", () => {
	it("round-trips every screen through the hash", () => {
		for (const route of [
			{ name: "list" },
			{ name: "new" },
			{ name: "chat", peer: "+15555550100" },
			{ name: "contact", peer: "+447700900123" },
		] as const) {
			expect(parseRoute(hrefFor(route))).toEqual(route);
		}
	});

	it("falls back to the list for anything that is not a route", () => {
		for (const hash of [
			"",
			"#",
			"#/chat/",
			"#/chat/15555550100",
			"#/chat/%E0%A4%A",
			"#/contact/+1<script>",
			"#/x",
		]) {
			expect(parseRoute(hash)).toEqual({ name: "list" });
		}
	});
});

describe("conversation state", () => {
	it("replaces an entry by direction and id, and keeps time order", () => {
		let entries = upsertEntry([], entry("b", 20));
		entries = upsertEntry(entries, entry("a", 10));
		entries = upsertEntry(entries, entry("b", 20, "delivered"));
		expect(entries.map((e) => `${e.id}:${e.status}`)).toEqual(["a:sending", "b:delivered"]);
	});

	it("keeps the newest conversation first", () => {
		let contacts = upsertContact([], contact("+15555550100", 1));
		contacts = upsertContact(contacts, contact("+15555550101", 2));
		contacts = upsertContact(contacts, contact("+15555550100", 3));
		expect(contacts.map((c) => c.phone)).toEqual(["+15555550100", "+15555550101"]);
	});
});

describe("errors in words", () => {
	it("says what happened and what to do next", () => {
		expect(describeCode("mailbox_full", "")).toMatch(/mailbox is full.*Try again later/);
		expect(describeCode("code_incorrect", "", { attemptsLeft: 2 })).toMatch(/not right\. 2 tries left/);
		expect(describeCode("code_incorrect", "", { attemptsLeft: 1 })).toMatch(/1 try left/);
		expect(describeCode("rate_limited", "", { retryAfter: 42 })).toMatch(/Wait 42 seconds/);
		expect(describeCode("rate_limited", "", { retryAfter: 600 })).toMatch(/Wait 10 minutes/);
		expect(describeCode("unknown_recipient", "")).toMatch(/not on FriendLy/);
		// A code stored by another version (not in UserFacingCode): the stored message is shown.
		expect(describeCode("some_new_code" as UserFacingCode, "The relay's own sentence.")).toBe(
			"The relay's own sentence.",
		);
	});

	it("describes messenger errors with their details, and anything else generically", () => {
		const error = new MessengerError("code_incorrect", "wrong", { attemptsLeft: 3 });
		expect(describeError(error)).toMatch(/3 tries left/);
		expect(describeError(new Error("boom"))).toBe("Something went wrong. Reload the page and try again.");
	});
});

describe("delivery labels", () => {
	it("shows a send the messenger keeps trying as sending, or waiting for the connection while offline", () => {
		const now = 1_000_000;
		expect(deliveryLabel(entry("fresh", now - 5_000))).toBe("Sending…");
		// An hour old and still unconfirmed: the messenger keeps trying it (24 hours), so it is not "failed".
		expect(deliveryLabel(entry("old", now - 60 * 60_000))).toBe("Sending…");
		expect(deliveryLabel(entry("old", now - 60 * 60_000), false, false)).toBe("Waiting for connection");
		expect(deliveryLabel(entry("done", now - 10 * 60_000, "delivered"), false, false)).toBe("Delivered");
	});

	it("tells a message the recipient could not show from one that was not sent, and the re-send", () => {
		const now = 1_000_000;
		const notDelivered = (redelivery?: "waiting" | "sent"): HistoryEntry => ({
			...entry("nd", now, "failed"),
			error: {
				code: "not_delivered",
				reason: "no_session",
				message: "Not delivered: their app had no conversation for it. Sending it again over a new session.",
			},
			...(redelivery ? { redelivery } : {}),
		});
		expect(deliveryLabel(notDelivered("waiting"))).toBe("Not delivered — sending again");
		expect(isWaitingForResend(notDelivered("waiting"))).toBe(true);
		expect(deliveryLabel(notDelivered("waiting"), true)).toBe(
			"Not delivered — sends again once you decide on the new safety number",
		);
		// A final notice (after the one automatic re-send, or a rejected key): no more automatic tries.
		expect(deliveryLabel(notDelivered("sent"))).toBe("Not delivered");
		expect(isWaitingForResend(notDelivered("sent"))).toBe(false);
		expect(deliveryLabel(notDelivered())).toBe("Not delivered");
		// The re-sent copy goes through the usual states, marked as sent again.
		const again = (status: HistoryEntry["status"]): HistoryEntry => ({
			...entry("re", now, status),
			redelivery: "sent",
		});
		expect(deliveryLabel(again("sending"))).toBe("Sending again…");
		expect(deliveryLabel(again("sent"))).toBe("Sent again");
		expect(deliveryLabel(again("queued"))).toBe("Sent again, queued (they are offline)");
		expect(deliveryLabel(again("delivered"))).toBe("Delivered");
		// Other failures keep their wording.
		expect(
			deliveryLabel({ ...entry("mf", now, "failed"), error: { code: "mailbox_full", message: "" } }),
		).toBe("Not sent");
	});
});

describe("the timeline and the one limit", () => {
	it("names each day of a conversation: today, yesterday, the weekday and date, the year when it differs", () => {
		const now = new Date(2026, 11, 1, 9, 30).getTime();
		expect(dayLabel(new Date(2026, 11, 1, 0, 5).getTime(), now)).toBe("Today");
		expect(dayLabel(new Date(2026, 10, 30, 23, 55).getTime(), now)).toBe("Yesterday");
		const older = dayLabel(new Date(2026, 10, 27, 12).getTime(), now);
		expect(older).toMatch(/27/);
		expect(older).not.toMatch(/2026/);
		expect(dayLabel(new Date(2025, 11, 31, 12).getTime(), now)).toMatch(/2025/);
	});

	it("counts down the last 1,000 characters, then says how many are too many", () => {
		expect(MAX_TEXT_CHARS).toBe(16_000);
		expect(counterText(14_999)).toBeNull();
		expect(counterText(15_000)).toBe("1,000 characters left");
		expect(counterText(15_999)).toBe("1 character left");
		expect(counterText(16_000)).toBe("0 characters left");
		expect(counterText(16_002)).toMatch(/^2 characters too many: a message is 16,000 characters at most/);
		expect(pasteRefusedText(23_456)).toBe(
			"Nothing was pasted: the message would have 23,456 characters, and a message is 16,000 at most. Paste a shorter part, or split it into several messages.",
		);
	});
});

describe("tab lock", () => {
	it("explains a missing Web Locks API and a lost lock in words", () => {
		expect(describeError(new WebLocksMissingError())).toBe(
			"This browser lacks Web Locks, which FriendLy needs so two tabs never write the same keys; use a current browser.",
		);
		expect(describeError(new TabLockLostError())).toMatch(/moved to another tab.*nothing was sent/);
	});

	it("runs its listeners once when the lock is lost, and refuses every check after", async () => {
		let stopped = 0;
		const lock = new TabLock({} as LockManager, undefined);
		lock.onLost(() => stopped++);
		await expect(lock.assertHeld()).resolves.toBeUndefined();
		lock.markLost();
		lock.markLost();
		expect(stopped).toBe(1);
		await expect(lock.assertHeld()).rejects.toBeInstanceOf(TabLockLostError);
	});
});
