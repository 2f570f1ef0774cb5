// Your data (issue 15) with real `friendly` processes on the real relay: `delete-account` (typed
// confirmation — a wrong or missing one is in test/fast/cli.test.ts —, --yes, relay state checked through the relay's own routes, the profile removed only
// after the relay confirmed, the number registering again as new, a contact's send unknown_recipient).
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountJson } from "../../client-cli/storage/messenger-records.ts";
import { RelayHttpClient, RelayRequestError } from "../../protocol/client/index.ts";
import { parseJson } from "../../protocol/wire/index.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	createCliEnvironment,
	describe as describeResult,
	jsonOutput,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const CARA = "+15555550191";
const DAN = "+15555550192";

let relay: RunningRelay;
let env: CliEnvironment;

beforeAll(async () => {
	relay = await startRelay();
	env = await createCliEnvironment(relay.url);
	await registerProfile(env, "cara", CARA);
	await registerProfile(env, "dan", DAN);
});
afterAll(async () => {
	await relay?.close();
	await env?.cleanup();
});

const cara = (...args: string[]) => runCli(env, ["--profile", "cara", ...args]);
const dan = (...args: string[]) => runCli(env, ["--profile", "dan", ...args]);

async function exists(path: string): Promise<boolean> {
	return access(path).then(
		() => true,
		() => false,
	);
}

/** The session token stored in a profile (plain JSON: the test profiles have no passphrase). */
async function storedToken(profile: string): Promise<string> {
	const text = await readFile(join(env.home, profile, "account.json"), "utf8");
	const parsed = parseJson(AccountJson, text, 1 << 16);
	if (!parsed.ok) throw new Error(`account.json: ${parsed.message}`);
	return parsed.value.token;
}

async function relayCode(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
		return "ok";
	} catch (error) {
		return error instanceof RelayRequestError ? error.code : String(error);
	}
}

describe("friendly delete-account", () => {
	it("typing the number deletes the account on the relay, then the profile; a contact gets unknown_recipient; the number registers again as new", async () => {
		expect((await dan("send", CARA, "before the deletion")).code).toBe(0);
		const token = await storedToken("cara");
		const http = new RelayHttpClient(relay.url);

		const deleted = await runCli(env, ["--profile", "cara", "delete-account"], { input: `${CARA}\n` });
		expect(deleted.code, describeResult(deleted)).toBe(0);
		expect(deleted.stdout).toContain(`Deleted ${CARA}`);
		expect(await exists(join(env.home, "cara"))).toBe(false);

		// Checked through the relay's routes: the token is dead, the number has no keys.
		expect(await relayCode(http.prekeyStatus(token))).toBe("unauthenticated");
		expect(await relayCode(http.deleteAccount(token, CARA))).toBe("unauthenticated");
		expect(await relayCode(http.fetchBundle(await storedToken("dan"), CARA))).toBe("not_registered");
		// A new conversation is refused by the relay; so is a message on the existing session.
		const sent = await dan("--json", "send", CARA, "after the deletion");
		expect(sent.code, describeResult(sent)).toBe(5);

		// The number registers again as new: no identity change reported, an empty mailbox.
		await registerProfile(env, "cara", CARA);
		const received = await cara("--json", "receive", "--timeout", "0");
		expect(received.code, describeResult(received)).toBe(0);
		expect(received.stdout).not.toContain("before the deletion");
	});

	it("--yes deletes without asking; a second run is not_registered", async () => {
		await registerProfile(env, "erin", "+15555550193");
		const deleted = await runCli(env, ["--profile", "erin", "--json", "delete-account", "--yes"]);
		expect(deleted.code, describeResult(deleted)).toBe(0);
		expect(jsonOutput(deleted)).toMatchObject({ ok: true, phone: "+15555550193" });
		const again = await runCli(env, ["--profile", "erin", "delete-account", "--yes"]);
		expect(again.code, describeResult(again)).toBe(4);
	});
});
