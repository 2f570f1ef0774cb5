// The relay crashes (wrangler dev killed with SIGKILL) and restarts on its persisted state while the
// interactive client is running: the client says the connection is lost, reconnects with backoff, and
// keeps receiving. A line typed while the relay was down is shown as pending at once, and sent after
// the reconnect under its id (the client keeps trying; it is not reported failed).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startWranglerDev, type WranglerDev } from "../support/wrangler-dev.ts";
import {
	type CliEnvironment,
	CliProcess,
	createCliEnvironment,
	describe as describeResult,
	jsonEvents,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const ALICE = "+15555550151";
const BOB = "+15555550152";

let relay: WranglerDev | undefined;
let env: CliEnvironment;
let state: string;
let port: number;

beforeAll(async () => {
	state = await mkdtemp(join(tmpdir(), "friendly-cli-relay-"));
	port = await freePort();
	relay = await startWranglerDev({ persistTo: state, port });
	env = await createCliEnvironment(relay.url);
	await registerProfile(env, "alice", ALICE);
	await registerProfile(env, "bob", BOB);
}, 120_000);
afterAll(async () => {
	await relay?.stop();
	await env?.cleanup();
	await rm(state, { recursive: true, force: true });
});

describe("relay restart during an interactive session", () => {
	it("reconnects, resumes receiving, and sends the line typed while the relay was down (shown pending meanwhile)", async () => {
		const alice = new CliProcess(env, ["--profile", "alice"]);
		try {
			await alice.waitFor(/Connected to the relay\./);
			alice.writeLine(`chat ${BOB}`);
			await alice.waitFor(/Secure session with \+15555550152/);

			let mark = alice.stdout.length;
			await relay?.stop("SIGKILL");
			relay = undefined;
			await alice.waitFor(/Relay connection lost: .*retrying in [0-9]+ s/, mark);
			alice.writeLine("typed while the relay was down");
			await alice.waitFor(/… pending — \+15555550152 · not connected; sent when the relay is back/, mark);

			relay = await startWranglerDev({ persistTo: state, port });
			await alice.waitFor(/✓ queued .* — \+15555550152/, mark, 60_000);
			await alice.waitFor(/Reconnected to the relay\./, mark, 60_000);
			expect(alice.stdout.slice(mark)).not.toContain("✗ not sent");

			mark = alice.stdout.length;
			const bobSends = await runCli(env, ["--profile", "bob", "send", ALICE, "after the restart"]);
			expect(bobSends.code, describeResult(bobSends)).toBe(0);
			await alice.waitFor(/\+15555550152: after the restart/, mark);

			const bobReceives = await runCli(env, ["--profile", "bob", "--json", "receive", "--timeout", "0"]);
			const texts = jsonEvents(bobReceives.stdout, "message").map((line) => line.text);
			expect(texts.filter((text) => text === "typed while the relay was down")).toHaveLength(1);

			alice.writeLine("quit");
			expect(await alice.exited).toBe(0);
		} finally {
			await alice.stop();
		}
	}, 150_000);
});
