// The interactive client (`friendly` with no command) driven through its stdin, as a person would type:
// first-run registration (phone, echoed code, a wrong code with tries left), help and malformed input
// answered without crashing, `chat`, plain lines sent to the current conversation, a message arriving
// while idle printed at once, `send`, `contacts`, `quit`; then a restart that shows what arrived while
// offline and ends cleanly at end of input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	CliProcess,
	createCliEnvironment,
	describe as describeResult,
	jsonLines,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const ALICE = "+15555550141";
const BOB = "+15555550142";

let relay: RunningRelay;
let env: CliEnvironment;

beforeAll(async () => {
	relay = await startRelay();
	env = await createCliEnvironment(relay.url);
	await registerProfile(env, "bob", BOB);
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

describe("friendly interactive (driven through stdin)", () => {
	it("registers on first run, chats, prints incoming messages while idle, and quits cleanly", async () => {
		const alice = new CliProcess(env, ["--profile", "alice"]);
		try {
			await alice.waitFor(/not registered yet[\s\S]*Your phone number \(\+ and country code\): /);
			alice.writeLine("555 0141");
			await alice.waitFor(/Phone number invalid: .*\+ and its country code/);
			alice.writeLine("+1 555 555 0141");
			const [, code = ""] = await alice.waitFor(/delivered the code by echo.*: ([0-9]{6})/);
			const wrong = `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;
			let mark = alice.stdout.length;
			alice.writeLine(wrong);
			await alice.waitFor(/The verification code is wrong — 4 tries left\./, mark);
			alice.writeLine(code);
			await alice.waitFor(/Registered \+15555550141; your keys are published\./);
			await alice.waitFor(/Connected to the relay\./);

			mark = alice.stdout.length;
			alice.writeLine("help");
			await alice.waitFor(/Commands:[\s\S]*chat <phone>[\s\S]*quit/, mark);
			alice.writeLine("fly me to the moon");
			await alice.waitFor(/Unknown command "fly"\.\nType `help` for the commands, or `chat <phone>`/, mark);
			alice.writeLine("chat");
			await alice.waitFor(/chat needs a phone number\.\nUsage: chat <phone>/, mark);
			alice.writeLine("chat +15555550199");
			await alice.waitFor(/error: \+15555550199 is not registered with FriendLy/, mark);

			mark = alice.stdout.length;
			alice.writeLine("chat +1 555 555 0142");
			await alice.waitFor(
				/Secure session with \+15555550142\. Safety number [0-9]{5} [0-9]{5} [0-9]{5} …/,
				mark,
			);
			await alice.waitFor(/Plain lines are now sent to them\./, mark);
			alice.writeLine("Hello Bob, typed at the prompt");
			await alice.waitFor(/queued \(they are offline; delivered when they connect\) — \+15555550142/, mark);

			// Bob writes while Alice sits at the prompt: printed as it arrives. Bob's client also takes
			// Alice's queued message (saved, then shown by his `receive`), so her receipt comes back too.
			mark = alice.stdout.length;
			const bobSends = await runCli(env, ["--profile", "bob", "send", ALICE, "Hi Alice, Bob here"]);
			expect(bobSends.code, describeResult(bobSends)).toBe(0);
			await alice.waitFor(/\[[0-9]{2}:[0-9]{2}\] \+15555550142: Hi Alice, Bob here/, mark);
			const bobReceives = await runCli(env, ["--profile", "bob", "--json", "receive", "--timeout", "0"]);
			expect(jsonLines(bobReceives.stdout)).toContainEqual(
				expect.objectContaining({ type: "message", from: ALICE, text: "Hello Bob, typed at the prompt" }),
			);
			await alice.waitFor(/✓✓ delivered \(their device confirmed it\) — \+15555550142/, mark);

			mark = alice.stdout.length;
			alice.writeLine("send +15555550142 and one more with the send command");
			await alice.waitFor(/queued .* — \+15555550142/, mark);
			alice.writeLine("contacts");
			await alice.waitFor(/\+15555550142 .*— and one more with the send command/, mark);
			alice.writeLine("quit");
			await alice.waitFor(/Disconnected\. Bye\./, mark);
			expect(await alice.exited).toBe(0);
		} finally {
			await alice.stop();
		}

		// Bob writes while Alice is away; her next session shows it, and end of input ends it cleanly.
		const whileAway = await runCli(env, ["--profile", "bob", "send", ALICE, "while you were away"]);
		expect(whileAway.code, describeResult(whileAway)).toBe(0);
		const again = new CliProcess(env, ["--profile", "alice"]);
		try {
			await again.waitFor(/Signed in as \+15555550141/);
			await again.waitFor(/\+15555550142: while you were away/);
			again.endInput();
			expect(await again.exited).toBe(0);
			expect(again.stdout).toMatch(/Disconnected\. Bye\./);
		} finally {
			await again.stop();
		}
	});

	it("shows a contact's key change at once, blocks sending to them until `verify … accept`", async () => {
		const CAROL = "+15555550143";
		const DAN = "+15555550144";
		await registerProfile(env, "carol", CAROL);
		await registerProfile(env, "dan", DAN);
		const carol = new CliProcess(env, ["--profile", "carol"]);
		try {
			await carol.waitFor(/Connected to the relay\./);
			carol.writeLine(`chat ${DAN}`);
			await carol.waitFor(/Secure session with \+15555550144/);

			// Dan reinstalls (a new identity for the same number) and writes to Carol.
			let mark = carol.stdout.length;
			await registerProfile(env, "dan-new", DAN);
			const danWrites = await runCli(env, ["--profile", "dan-new", "send", CAROL, "it's Dan, new phone"]);
			expect(danWrites.code, describeResult(danWrites)).toBe(0);
			await carol.waitFor(/!!! SAFETY NUMBER CHANGED for \+15555550144/, mark);
			expect(carol.stdout.slice(mark)).not.toContain("it's Dan, new phone");

			mark = carol.stdout.length;
			carol.writeLine("are you really Dan?");
			await carol.waitFor(/✗ not sent to \+15555550144: The safety number with \+15555550144 changed/, mark);
			await carol.waitFor(/hint: .*verify \+15555550144 --accept/, mark);
			mark = carol.stdout.length;
			carol.writeLine(`chat ${DAN}`);
			await carol.waitFor(
				/!!! SAFETY NUMBER CHANGED for \+15555550144[\s\S]*verify \+15555550144 --accept/,
				mark,
			);
			carol.writeLine(`verify ${DAN}`);
			await carol.waitFor(/Their NEW safety number[^\n]*\n( {4}[0-9]{5}( [0-9]{5}){3}\n){3}/, mark);

			mark = carol.stdout.length;
			carol.writeLine(`verify ${DAN} accept`);
			await carol.waitFor(/Accepted the new identity key of \+15555550144\./, mark);
			await carol.waitFor(/\+15555550144: it's Dan, new phone/, mark);
			carol.writeLine("welcome back");
			await carol.waitFor(/✓ (sent|queued) .* — \+15555550144/, mark);
			carol.writeLine("quit");
			expect(await carol.exited).toBe(0);
		} finally {
			await carol.stop();
		}
		const danReads = await runCli(env, ["--profile", "dan-new", "--json", "receive", "--timeout", "0"]);
		expect(jsonLines(danReads.stdout)).toContainEqual(
			expect.objectContaining({ type: "message", from: CAROL, text: "welcome back" }),
		);
	});
});
