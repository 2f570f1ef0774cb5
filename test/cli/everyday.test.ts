// Everyday use (issue 16) with real `friendly` processes on the real relay: names for contacts (one-shot
// and at the prompt) shown where numbers were; history with date lines and system entries (marked in
// --json); the verified mark in contacts; resend of a failed message (by id, and the last one at the
// prompt); the one text limit in the CLI's words; `receive` saying nothing waits; subcommand help with
// the global options and a hint under an unknown option. Pending verification on a terminal:
// terminal.test.ts; lines typed while the relay is down: reconnect.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	CliProcess,
	createCliEnvironment,
	describe as describeResult,
	jsonLines,
	jsonOutput,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const ANNA = "+15555550181";
const BEN = "+15555550182";
/** A small mailbox, so a refusal that a resend can fix (mailbox_full) is easy to cause. */
const MAILBOX = 3;

let relay: RunningRelay;
let env: CliEnvironment;

beforeAll(async () => {
	relay = await startRelay({ vars: { MAILBOX_MAX_MESSAGES: String(MAILBOX) } });
	env = await createCliEnvironment(relay.url);
	await registerProfile(env, "anna", ANNA);
	await registerProfile(env, "ben", BEN);
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

const anna = (...args: string[]) => runCli(env, ["--profile", "anna", ...args]);
const ben = (...args: string[]) => runCli(env, ["--profile", "ben", ...args]);

describe("friendly for everyday use", () => {
	it("names a contact: shown in receive, history and contacts (number kept there); cleared again", async () => {
		const named = await anna("name", BEN, "Ben", "Brown");
		expect(named.code, describeResult(named)).toBe(0);
		expect((await ben("send", ANNA, "hello from ben")).code).toBe(0);

		const received = await anna("receive", "--timeout", "0");
		expect(received.stdout).toMatch(/\[\d\d:\d\d\] Ben Brown: hello from ben/);
		const json = await anna("--json", "receive", "--timeout", "0");
		expect(jsonLines(json.stdout)).toContainEqual({ type: "drained", received: 0 });
		expect(json.stdout).not.toContain("No messages waiting");

		const contacts = await anna("contacts");
		expect(contacts.stdout).toContain(`Ben Brown (${BEN})`);
		const history = await anna("history", BEN);
		expect(history.stdout).toMatch(/\d\d:\d\d Ben Brown: hello from ben/);

		expect(jsonOutput(await anna("--json", "name", BEN, "--clear"))).toEqual({
			ok: true,
			phone: BEN,
			name: null,
		});
		expect((await anna("contacts")).stdout).not.toContain("Ben Brown");
	});

	it("history has date lines and system entries, marked in --json; contacts mark verified contacts", async () => {
		const verified = await anna("verify", BEN, "--mark-verified");
		expect(verified.code, describeResult(verified)).toBe(0);
		const lines = (await anna("history", BEN)).stdout.trim().split("\n");
		expect(lines[0]).toMatch(/^── \w+day, \d{1,2} \w+ \d{4} ──$/);
		expect(lines.at(-1)).toMatch(/^\d\d:\d\d · You marked the safety number as verified\.$/);
		const json = jsonOutput(await anna("--json", "history", BEN));
		expect(json.messages).toContainEqual(
			expect.objectContaining({ direction: "system", status: "received", system: { event: "verified" } }),
		);
		expect((await anna("contacts")).stdout).toMatch(new RegExp(`^✓ \\${BEN} \\[verified\\]`, "m"));
	});

	it("resend: a message refused by a full mailbox is failed (with a system entry); `friendly resend <id>` sends it later, under its id", async () => {
		await ben("receive", "--timeout", "0");
		for (let i = 1; i <= MAILBOX; i += 1) expect((await anna("send", BEN, `filler ${i}`)).code).toBe(0);
		const failed = await anna("--json", "send", BEN, "one too many");
		expect(failed.code, describeResult(failed)).toBe(6);
		const history = jsonOutput(await anna("--json", "history", BEN));
		const messages = history.messages as { id: string; text: string; status: string }[];
		const out = messages.find((entry) => entry.text === "one too many");
		expect(out).toMatchObject({ status: "failed" });
		expect(messages).toContainEqual(
			expect.objectContaining({ direction: "system", system: { event: "not_delivered", about: out?.id } }),
		);

		await ben("receive", "--timeout", "0");
		const resent = await anna("--json", "resend", out?.id ?? "");
		expect(resent.code, describeResult(resent)).toBe(0);
		expect(jsonOutput(resent)).toMatchObject({ ok: true, id: out?.id, status: "queued" });
		const received = await ben("--json", "receive", "--timeout", "0");
		expect(jsonLines(received.stdout)).toContainEqual(
			expect.objectContaining({ type: "message", from: ANNA, id: out?.id, text: "one too many" }),
		);
		const again = await anna("resend", out?.id ?? "");
		expect(again.stdout).toMatch(/already (queued|delivered); nothing to resend/);
		const unknown = await anna("resend", "no-such-id");
		expect(unknown.code).toBe(2);
		expect(unknown.stderr).toContain('No message you sent has the id "no-such-id".');
	});

	it("at the prompt: name shown in the chat header, resend with nothing waiting, and resend by id", async () => {
		const session = new CliProcess(env, ["--profile", "anna"]);
		try {
			await session.waitFor(/Connected to the relay\./);
			session.writeLine(`name ${BEN} Benny`);
			await session.waitFor(/\+15555550182 is now shown as "Benny" \(on this device only\)\./);
			session.writeLine(`chat ${BEN}`);
			await session.waitFor(/Secure session with Benny \(\+15555550182\)/);
			session.writeLine("resend");
			await session.waitFor(/No message waits to be sent again\./);
			session.writeLine("send +15555550189 anyone there?");
			await session.waitFor(/✗ not sent to \+15555550189/);
			// Not in the open conversation: `resend` looks at the open one; by id it finds any.
			const mark = session.stdout.length;
			const [id] = jsonLines((await anna("--json", "history", "+15555550189")).stdout).flatMap((line) =>
				((line as { messages?: { id: string; direction: string }[] }).messages ?? [])
					.filter((m) => m.direction === "out")
					.map((m) => m.id),
			);
			session.writeLine(`resend ${id}`);
			await session.waitFor(/Sending again to \+15555550189…[\s\S]*✗ not sent to \+15555550189/, mark);
			session.writeLine("quit");
			expect(await session.exited).toBe(0);
		} finally {
			await session.stop();
		}
	});

	it("the interactive first run, stopped at the code question, goes on with that code when started again", async () => {
		const first = new CliProcess(env, ["--profile", "dora"]);
		let code = "";
		try {
			await first.waitFor(/Your phone number \(\+ and country code\): /);
			first.writeLine("+1 555 555 0184");
			[, code = ""] = await first.waitFor(/delivered the code by echo.*: ([0-9]{6})/);
			first.endInput();
			await first.exited;
		} finally {
			await first.stop();
		}
		const second = new CliProcess(env, ["--profile", "dora"]);
		try {
			await second.waitFor(
				/A code for \+15555550184 was already sent and works for \d+ minutes more: enter it/,
			);
			expect(second.stdout).not.toContain("Your phone number");
			second.writeLine(code);
			await second.waitFor(/Registered \+15555550184; your keys are published\./);
			second.writeLine("quit");
			expect(await second.exited).toBe(0);
		} finally {
			await second.stop();
		}
	});

	it("a text over 16,000 characters is refused in the limit's words, not as 'too large for the relay'", async () => {
		const long = await runCli(env, ["--profile", "anna", "send", BEN, "-"], { input: "x".repeat(23_456) });
		expect(long.code).toBe(2);
		expect(long.stderr).toContain("16,000 characters at most; this one has 23,456 — split it.");
		expect(long.stderr).not.toContain("too large for the relay");
		// Exactly the limit, of the costliest kind, goes through.
		const full = await runCli(env, ["--profile", "anna", "--json", "send", BEN, "-"], {
			input: "語".repeat(16_000),
		});
		expect(full.code, describeResult(full)).toBe(0);
	});

	it("receive on its own says nothing is waiting; subcommand help lists the global options; unknown options get a hint", async () => {
		await ben("receive", "--timeout", "0");
		const empty = await ben("receive", "--timeout", "0");
		expect(empty.code).toBe(0);
		expect(empty.stderr).toContain("No messages waiting.");

		const help = await ben("send", "--help");
		expect(help.code).toBe(0);
		expect(help.stdout).toMatch(/Global Options:[\s\S]*--server <url>[\s\S]*--profile <name>[\s\S]*--json/);
		const unknown = await ben("receive", "--forever");
		expect(unknown.code).toBe(2);
		expect(unknown.stderr).toContain("error: unknown option '--forever'");
		expect(unknown.stderr).toContain("hint: friendly receive --help lists the options");
	});
});
