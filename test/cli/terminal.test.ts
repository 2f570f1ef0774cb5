// `friendly` on a real terminal (a pseudo-terminal through util-linux `script`): `register` prompts for
// the code (re-asking after a wrong one), and in the interactive client a message arriving while the user
// is half-way through typing a line is printed above it without corrupting it — the line is redrawn and
// finishing it sends exactly what was typed. Ctrl-C leaves cleanly.
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
	relay = await startRelay();
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
			await erin.waitFor(/Enter the 6-digit code \(Enter to use the one shown\): /);
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
