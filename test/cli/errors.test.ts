// Failures give the documented exit codes (client-cli/exit-codes.ts, docs/CLI.md) and messages that
// say what happened and what to do: server unreachable (naming the URL), not registered, unknown
// recipient, invalid phone number, wrong code with the tries left, rate limited, mailbox full, unknown
// command, profile in use. Real relay (mailbox capped at 3 so the cap is reachable), real processes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../../client-cli/exit-codes.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { freePort } from "../support/wrangler-dev.ts";
import {
	type CliEnvironment,
	CliProcess,
	createCliEnvironment,
	describe as describeResult,
	jsonOutput,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const ALICE = "+15555550121";
const BOB = "+15555550122";

let relay: RunningRelay;
let env: CliEnvironment;

beforeAll(async () => {
	relay = await startRelay({ vars: { MAILBOX_MAX_MESSAGES: "3", CODE_RESEND_INTERVAL_SECONDS: "60" } });
	env = await createCliEnvironment(relay.url);
	await registerProfile(env, "alice", ALICE);
	await registerProfile(env, "bob", BOB);
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

describe("friendly errors and exit codes", () => {
	it("server unreachable: exit 3, names the URL", async () => {
		const deadUrl = `http://127.0.0.1:${await freePort()}`;
		const send = await runCli(env, ["--profile", "alice", "--server", deadUrl, "send", BOB, "hello?"]);
		expect(send.code, describeResult(send)).toBe(EXIT_CODES.serverUnreachable);
		expect(send.stderr).toContain(`Server unreachable at ${deadUrl}`);
		expect(send.stderr).toMatch(/hint: .*relay is running/);

		const register = await runCli(env, ["--profile", "nobody", "--json", "register", "+15555550129"], {
			env: { FRIENDLY_SERVER: deadUrl },
		});
		expect(register.code, describeResult(register)).toBe(EXIT_CODES.serverUnreachable);
		expect(jsonOutput(register)).toMatchObject({
			ok: false,
			error: { code: "relay_unreachable", exitCode: 3, relayUrl: deadUrl },
		});
	});

	it("not registered: exit 4 with the command to run", async () => {
		const send = await runCli(env, ["--profile", "stranger", "send", ALICE, "hi"]);
		expect(send.code, describeResult(send)).toBe(EXIT_CODES.notRegistered);
		expect(send.stderr).toMatch(/profile \(stranger\) is not registered/);
		expect(send.stderr).toContain("Run `friendly --profile stranger register <phone>` first.");
		const receive = await runCli(env, ["--profile", "stranger", "--json", "receive", "--timeout", "0"]);
		expect(receive.code).toBe(EXIT_CODES.notRegistered);
		expect(jsonOutput(receive)).toMatchObject({ ok: false, error: { code: "not_registered" } });
	});

	it("unknown recipient: exit 5", async () => {
		const send = await runCli(env, ["--profile", "alice", "send", "+15555550128", "anyone there?"]);
		expect(send.code, describeResult(send)).toBe(EXIT_CODES.unknownRecipient);
		expect(send.stderr).toContain("+15555550128 is not registered with FriendLy");
	});

	it("invalid phone number: exit 2, says how to write one", async () => {
		const send = await runCli(env, ["--profile", "alice", "send", "5555550122", "hi"]);
		expect(send.code, describeResult(send)).toBe(EXIT_CODES.usage);
		expect(send.stderr).toMatch(/Phone number invalid: .*start with \+/);
		const register = await runCli(env, ["--profile", "carol", "--json", "register", "+1 23"]);
		expect(register.code).toBe(EXIT_CODES.usage);
		expect(jsonOutput(register)).toMatchObject({ ok: false, error: { code: "invalid_phone" } });
	});

	it("wrong verification code: exit 9 with the tries left; the right code still works", async () => {
		const requested = await runCli(env, ["--profile", "carol", "--json", "register", "+15555550123"]);
		expect(requested.code, describeResult(requested)).toBe(0);
		const code = String(jsonOutput(requested).code);
		const wrong = `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;
		const rejected = await runCli(env, ["--profile", "carol", "register", "+15555550123", "--code", wrong]);
		expect(rejected.code, describeResult(rejected)).toBe(EXIT_CODES.verificationFailed);
		expect(rejected.stderr).toContain("The verification code is wrong — 4 tries left.");
		const rejectedJson = await runCli(env, [
			"--profile",
			"carol",
			"--json",
			"register",
			"+15555550123",
			"--code",
			wrong,
		]);
		expect(jsonOutput(rejectedJson)).toMatchObject({ error: { code: "code_incorrect", attemptsLeft: 3 } });
		const accepted = await runCli(env, ["--profile", "carol", "register", "+15555550123", "--code", code]);
		expect(accepted.code, describeResult(accepted)).toBe(0);
		expect(accepted.stdout).toMatch(/Registered \+15555550123/);
	});

	it("asking again while the code works: the pending code is named, not a new one; elsewhere: exit 8 with the wait", async () => {
		const first = await runCli(env, ["--profile", "dave", "register", "+15555550124"]);
		expect(first.code, describeResult(first)).toBe(0);
		expect(first.stdout).toMatch(/Code: [0-9]{6}/);
		// The same profile remembers the request: it says so instead of asking the relay again.
		const second = await runCli(env, ["--profile", "dave", "--json", "register", "+15555550124"]);
		expect(second.code, describeResult(second)).toBe(0);
		expect(jsonOutput(second)).toMatchObject({ ok: true, pending: true, resendAfter: expect.any(Number) });
		// Another profile (no record of it) asks the relay, which refuses until the wait is over.
		const elsewhere = await runCli(env, ["--profile", "dave2", "register", "+15555550124"]);
		expect(elsewhere.code, describeResult(elsewhere)).toBe(EXIT_CODES.rateLimited);
		expect(elsewhere.stderr).toMatch(/slow down[\s\S]*Wait [0-9]+ seconds/);
	});

	it("mailbox full: exit 6, nothing sent, try later", async () => {
		for (const text of ["1", "2", "3"]) {
			const sent = await runCli(env, ["--profile", "alice", "send", BOB, text]);
			expect(sent.code, describeResult(sent)).toBe(0);
		}
		const full = await runCli(env, ["--profile", "alice", "--json", "send", BOB, "4"]);
		expect(full.code, describeResult(full)).toBe(EXIT_CODES.mailboxFull);
		expect(jsonOutput(full)).toMatchObject({ ok: false, error: { code: "mailbox_full" } });
		expect(String(jsonOutput(full).error && JSON.stringify(jsonOutput(full).error))).toMatch(/try later/i);
		const history = await runCli(env, ["--profile", "alice", "--json", "history", BOB]);
		expect(jsonOutput(history).messages).toContainEqual(
			expect.objectContaining({ text: "4", status: "failed" }),
		);
	});

	it("bad usage: unknown command, missing argument, unknown option → exit 2; help → 0", async () => {
		const unknown = await runCli(env, ["--profile", "alice", "fly"]);
		expect(unknown.code).toBe(EXIT_CODES.usage);
		expect(unknown.stderr).toContain('Unknown command "fly"');
		const missing = await runCli(env, ["--profile", "alice", "send", ALICE]);
		expect(missing.code).toBe(EXIT_CODES.usage);
		expect(missing.stderr).toMatch(/missing required argument 'message'/);
		const help = await runCli(env, ["--help"]);
		expect(help.code).toBe(0);
		expect(help.stdout).toMatch(/Exit codes:\n {3}0 {2}success/);
		const helpSend = await runCli(env, ["help", "send"]);
		expect(helpSend.code).toBe(0);
		expect(helpSend.stdout).toContain("Usage: friendly send [options] <phone> <message>");
		const option = await runCli(env, ["--json", "receive", "--forever"]);
		expect(option.code).toBe(EXIT_CODES.usage);
		expect(jsonOutput(option)).toMatchObject({ ok: false, error: { code: "usage" } });
	});

	it("a profile in use by another friendly process: exit 10", async () => {
		const listener = new CliProcess(env, ["--profile", "bob", "--json", "receive"]);
		try {
			await listener.waitFor(/"type":"drained"/);
			const send = await runCli(env, ["--profile", "bob", "send", ALICE, "from a second process"]);
			expect(send.code, describeResult(send)).toBe(EXIT_CODES.profileUnavailable);
			expect(send.stderr).toMatch(/in use by another friendly process \(pid [0-9]+\)/);
		} finally {
			listener.child.kill("SIGINT");
			await listener.exited;
		}
	});
});
