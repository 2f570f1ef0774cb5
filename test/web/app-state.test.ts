// The web client's pure pieces, without a browser: hash routes, how the conversation state merges
// store changes, and the sentences shown for the errors people meet most.
import { describe, expect, it } from "vitest";
import { upsertContact, upsertEntry } from "../../client-web/src/state/app-state.ts";
import { describeCode, describeError } from "../../client-web/src/state/error-text.ts";
import { deliveryLabel, isStaleSending, isWaitingForResend } from "../../client-web/src/state/format.ts";
import { hrefFor, parseRoute } from "../../client-web/src/state/route.ts";
import { TabLock, TabLockLostError, WebLocksMissingError } from "../../client-web/src/state/single-tab.ts";
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
	it("shows a send cut off by a closed tab as unconfirmed instead of sending forever", () => {
		const now = 1_000_000;
		expect(deliveryLabel(entry("fresh", now - 5_000), now)).toBe("Sending…");
		expect(isStaleSending(entry("old", now - 10 * 60_000), now)).toBe(true);
		expect(deliveryLabel(entry("old", now - 10 * 60_000), now)).toBe("Not confirmed");
		expect(deliveryLabel(entry("done", now - 10 * 60_000, "delivered"), now)).toBe("Delivered");
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
		expect(deliveryLabel(notDelivered("waiting"), now)).toBe("Not delivered — sending again");
		expect(isWaitingForResend(notDelivered("waiting"))).toBe(true);
		expect(deliveryLabel(notDelivered("waiting"), now, true)).toBe(
			"Not delivered — sends again once you decide on the new safety number",
		);
		// A final notice (after the one automatic re-send, or a rejected key): no more automatic tries.
		expect(deliveryLabel(notDelivered("sent"), now)).toBe("Not delivered");
		expect(isWaitingForResend(notDelivered("sent"))).toBe(false);
		expect(deliveryLabel(notDelivered(), now)).toBe("Not delivered");
		// The re-sent copy goes through the usual states, marked as sent again.
		const again = (status: HistoryEntry["status"]): HistoryEntry => ({
			...entry("re", now, status),
			redelivery: "sent",
		});
		expect(deliveryLabel(again("sending"), now)).toBe("Sending again…");
		expect(deliveryLabel(again("sent"), now)).toBe("Sent again");
		expect(deliveryLabel(again("queued"), now)).toBe("Sent again, queued (they are offline)");
		expect(deliveryLabel(again("delivered"), now)).toBe("Delivered");
		// Other failures keep their wording.
		expect(
			deliveryLabel({ ...entry("mf", now, "failed"), error: { code: "mailbox_full", message: "" } }, now),
		).toBe("Not sent");
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
