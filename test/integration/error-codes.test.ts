// Every code a user can meet (protocol/messenger/codes.ts) has words in both UIs: the CLI's
// (client-cli/errors.ts) and the web app's (client-web/src/state/error-text.ts). The switches are
// exhaustive, so tsc already fails on a missing case; this checks that each case says something of its
// own rather than passing on an empty detail, and that stored history stays loadable across versions.
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { describeFailure, toCliError } from "../../client-cli/errors.ts";
import { HistoryEntryJson } from "../../client-cli/storage/messenger-records.ts";
import { describeCode } from "../../client-web/src/state/error-text.ts";
import { MessengerError, toUserFacingCode, USER_FACING_CODES } from "../../protocol/messenger/index.ts";
import { RELAY_ERROR_CODES } from "../../protocol/wire/errors.ts";

const context = { relayUrl: "http://127.0.0.1:8787", peer: "+15555550100" };

describe("user-facing error codes", () => {
	it("lists every code once, relay codes included", () => {
		expect(new Set(USER_FACING_CODES).size).toBe(USER_FACING_CODES.length);
		for (const code of RELAY_ERROR_CODES) expect(USER_FACING_CODES).toContain(code);
		for (const code of ["not_delivered", "unsupported_content", "connection_lost", "untrusted_identity"])
			expect(USER_FACING_CODES).toContain(code);
	});

	it.each(USER_FACING_CODES)("%s has a CLI message and a web message", (code) => {
		const cli = describeFailure({ code, message: "" }, context);
		expect(cli.message.trim(), `CLI message for ${code}`).not.toBe("");
		expect(cli.code).toBe(code === "not_registered" ? "unknown_recipient" : code);
		expect(toCliError(new MessengerError(code, ""), context).message).toBe(cli.message);
		expect(describeCode(code, "").trim(), `web message for ${code}`).not.toBe("");
	});

	it("a stored error code this version does not know loads as unknown_error", () => {
		expect(toUserFacingCode("mailbox_full")).toBe("mailbox_full");
		expect(toUserFacingCode("from_the_future")).toBe("unknown_error");
		const entry = {
			v: 1,
			peer: "+15555550100",
			id: "abc",
			direction: "out",
			text: "hi",
			at: 1,
			status: "failed",
			error: { code: "from_the_future", message: "Something a newer version said." },
		};
		const parsed = v.parse(HistoryEntryJson, entry);
		expect(parsed.error).toEqual({ code: "unknown_error", message: "Something a newer version said." });
		expect(
			v.parse(HistoryEntryJson, { ...entry, error: { code: "not_delivered", message: "x" } }).error?.code,
		).toBe("not_delivered");
		expect(v.safeParse(HistoryEntryJson, { ...entry, error: { code: 7, message: "x" } }).success).toBe(false);
	});
});
