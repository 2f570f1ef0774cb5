// `friendly` on a real terminal (a pseudo-terminal through util-linux `script`): `register` prompts for
// the code (re-asking after a wrong one), and in the interactive client a message arriving while the user
// is half-way through typing a line is printed above it without corrupting it — the line is redrawn and
// finishing it sends exactly what was typed. Ctrl-C leaves cleanly. A registration left at the code
// question (Ctrl-C) is picked up by the next `register` within the code's validity: it asks for that
// code ("I already have a code"), offers "new" with a countdown, and refuses "new" until then.
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

const FRANK = "+15555550171";
const GINA = "+15555550172";

let relay: RunningRelay;
let env: CliEnvironment;

beforeAll(async () => {
	// The production wait between code requests, so "send a new code" has a countdown.
	relay = await startRelay({ vars: { CODE_RESEND_INTERVAL_SECONDS: "60" } });
	env = await createCliEnvironment(relay.url);
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

describe("friendly on a terminal", () => {
	it("register asks for the code and accepts the echoed one after a wrong try", async () => {
		const erin = new CliProcess(env, ["--profile", "erin", "register", "+15555550170"], { terminal: true });
		try {
			const [, code = ""] = await erin.waitFor(/by echo \(a development relay\): ([0-9]{6})/);
			await erin.waitFor(
				/Verification code \(Enter to use the one shown · "new": send a new code in \d+ s\): /,
			);
			let mark = erin.stdout.length;
			erin.type(`${(Number(code[0]) + 1) % 10}${code.slice(1)}\r`);
			await erin.waitFor(/The verification code is wrong — 4 tries left\./, mark);
			mark = erin.stdout.length;
			erin.type("\r");
			await erin.waitFor(/Registered \+15555550170 with /, mark);
			expect(await erin.exited).toBe(0);
		} finally {
			await erin.stop();
		}
	});

	it("register after Ctrl-C at the code question asks for the code already sent, with 'new' and its countdown", async () => {
		const args = ["--profile", "hana", "register", "+15555550173"];
		const first = new CliProcess(env, args, { terminal: true });
		let code = "";
		try {
			[, code = ""] = await first.waitFor(/by echo \(a development relay\): ([0-9]{6})/);
			await first.waitFor(/Verification code \(/);
			first.type("\u0003");
			await first.waitFor(/Registration cancelled: no code entered\.[\s\S]*again within the code's validity/);
			expect(await first.exited).toBe(2);
		} finally {
			await first.stop();
		}

		const second = new CliProcess(env, args, { terminal: true });
		try {
			await second.waitFor(
				/A code for \+15555550173 was already sent and works for ([5-9]|10) minutes more: enter it/,
			);
			const [, wait = "0"] = await second.waitFor(
				/Verification code \(I already have a code: type it · "new": send a new code in (\d+) s\): /,
			);
			expect(Number(wait)).toBeGreaterThan(0);
			let mark = second.stdout.length;
			second.type("new\r");
			await second.waitFor(/A new code can be sent in \d+ s; until then, enter the code you have\./, mark);
			mark = second.stdout.length;
			second.type(`${code}\r`);
			await second.waitFor(/Registered \+15555550173 with /, mark);
			expect(await second.exited).toBe(0);
		} finally {
			await second.stop();
		}
		// Used: the next registration starts with a new code.
		const json = await runCli(env, ["--profile", "hana", "--json", "register", "+15555550173"]);
		expect(json.stdout).not.toContain('"pending":true');
	});

	it("keeps the half-typed line intact when a message arrives, and Ctrl-C quits cleanly", async () => {
		await registerProfile(env, "frank", FRANK);
		await registerProfile(env, "gina", GINA);
		const frank = new CliProcess(env, ["--profile", "frank"], { terminal: true });
		try {
			await frank.waitFor(/Connected to the relay\./);
			frank.type(`chat ${GINA}\r`);
			await frank.waitFor(/Plain lines are now sent to them\./);
			frank.type("half a sent");
			await frank.waitFor(/\+15555550172> half a sent/);

			const mark = frank.stdout.length;
			const ginaWrites = await runCli(env, ["--profile", "gina", "send", FRANK, "interrupting you"]);
			expect(ginaWrites.code, describeResult(ginaWrites)).toBe(0);
			// The message is printed, then the prompt comes back with what had been typed.
			await frank.waitFor(/\+15555550172: interrupting you[\s\S]*\+15555550172> half a sent/, mark);

			frank.type("ence\r");
			await frank.waitFor(/✓ (sent|queued) /, mark);
			frank.type("\u0003");
			await frank.waitFor(/Disconnected\. Bye\./, mark);
			expect(await frank.exited).toBe(0);
		} finally {
			await frank.stop();
		}
		const ginaReads = await runCli(env, ["--profile", "gina", "--json", "receive", "--timeout", "0"]);
		expect(jsonLines(ginaReads.stdout)).toContainEqual(
			expect.objectContaining({ type: "message", from: FRANK, text: "half a sentence" }),
		);
	});
});
