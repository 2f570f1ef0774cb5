// The trust lifecycle (issue 11) with real `friendly` processes on both sides against the real relay.
// Scenario 1: Alice talks to Bob from install a1, registers the same number from install a2 (Bob
// accepts the new key), then registers again from a1 — which keeps its identity keys — and writes to
// Bob on the session it still holds. Bob's client must see a key change back to an earlier key (never
// a forgery), no message may be reported delivered while missing from Bob's history, and with one
// key acceptance (Bob's) the pair talks again both ways: the stale message is re-sent automatically.
// And `verify --reject`: a rejected new key's message is dropped and its sender told why.
// `receive` is a one-shot command here, so notices and automatic re-sends travel over several runs:
// the tests poll with bounded loops, never by waiting for a time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import {
	type CliEnvironment,
	createCliEnvironment,
	describe as describeResult,
	jsonLines,
	registerProfile,
	runCli,
} from "./support/cli.ts";

const ALICE = "+15555550401";
const BOB = "+15555550402";
const FINN = "+15555550411";
const ERIN = "+15555550412";

/** Receive rounds a notice or a re-send may take before the test gives up (each run is a process). */
const MAX_ROUNDS = 5;

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

type Line = Record<string, unknown>;

interface HistoryLine {
	id: string;
	direction: "in" | "out";
	text: string;
	status: string;
	error?: { code: string; message: string; reason?: string };
}

/** Everything a profile printed, kept to assert what was never printed. */
const transcripts = new Map<string, string[]>();

async function friendly(profile: string, args: string[]): Promise<Line[]> {
	const result = await runCli(env, ["--profile", profile, "--json", ...args]);
	transcripts.set(profile, [...(transcripts.get(profile) ?? []), result.stdout, result.stderr]);
	expect(result.code, `${profile}: friendly ${args.join(" ")}\n${describeResult(result)}`).toBe(0);
	return jsonLines(result.stdout).filter((line): line is Line => typeof line === "object" && line !== null);
}

async function receive(profile: string, seconds = 0): Promise<Line[]> {
	return friendly(profile, ["receive", "--timeout", String(seconds)]);
}

function texts(lines: Line[]): unknown[] {
	return lines.filter((line) => line.type === "message").map((line) => line.text);
}

async function history(profile: string, peer: string): Promise<HistoryLine[]> {
	const [result] = await friendly(profile, ["history", peer]);
	const messages = result?.messages;
	if (!Array.isArray(messages)) throw new Error(`no history: ${JSON.stringify(result)}`);
	return messages as HistoryLine[];
}

async function sendOk(profile: string, peer: string, text: string): Promise<string> {
	const [sent] = await friendly(profile, ["send", peer, text]);
	expect(sent).toMatchObject({ ok: true, text });
	const id = sent?.id;
	if (typeof id !== "string") throw new Error(`no id: ${JSON.stringify(sent)}`);
	return id;
}

/**
 * The CLI version of the Messenger tests' assertTruthful: no message in the sender's history says
 * delivered unless the recipient's history has it as received.
 */
async function assertTruthful(
	sender: string,
	senderPhone: string,
	recipient: string,
	recipientPhone: string,
) {
	const shown = new Set(
		(await history(recipient, senderPhone)).filter((e) => e.direction === "in").map((e) => e.id),
	);
	for (const sent of await history(sender, recipientPhone)) {
		if (sent.direction !== "out") continue;
		if (!shown.has(sent.id))
			expect(sent.status, `"${sent.text}" says ${sent.status} but ${recipient} lacks it`).not.toBe(
				"delivered",
			);
	}
}

/** Runs `round` until `done` holds after it, at most MAX_ROUNDS times; returns every line printed. */
async function poll(what: string, round: () => Promise<Line[]>, done: () => Promise<boolean>) {
	const lines: Line[] = [];
	for (let attempt = 0; attempt < MAX_ROUNDS; attempt++) {
		lines.push(...(await round()));
		if (await done()) return lines;
	}
	throw new Error(`${what}: not reached after ${MAX_ROUNDS} rounds; printed ${JSON.stringify(lines)}`);
}

function neverForged(profile: string): void {
	const printed = (transcripts.get(profile) ?? []).join("\n");
	expect(printed).not.toMatch(/signature check|forged|bad_signature/i);
}

describe("CLI × CLI trust lifecycle", () => {
	it("install 1 registers again after install 2: no forgery, nothing falsely delivered, one acceptance and both directions work", async () => {
		await Promise.all([registerProfile(env, "a1", ALICE), registerProfile(env, "b", BOB)]);
		await sendOk("a1", BOB, "hi from install 1");
		expect(texts(await receive("b"))).toEqual(["hi from install 1"]);
		await sendOk("b", ALICE, "hi back");
		expect(texts(await receive("a1"))).toEqual(["hi back"]);

		// Install 2 takes the number and writes; Bob accepts its key and reads the message.
		await registerProfile(env, "a2", ALICE);
		await sendOk("a2", BOB, "hi from install 2");
		const changed = await receive("b");
		expect(changed).toContainEqual(expect.objectContaining({ type: "identity_changed", phone: ALICE }));
		expect(texts(changed)).toEqual([]);
		await friendly("b", ["verify", ALICE, "--accept"]);
		expect(texts(await receive("b"))).toEqual(["hi from install 2"]);

		// Install 1 registers again: same identity keys, and it still holds its old session with Bob.
		await registerProfile(env, "a1", ALICE);
		const stale = await sendOk("a1", BOB, "install 1 is back");

		// Bob: signed by an earlier key of Alice's — a key change, held, never a forgery.
		const back = await receive("b");
		expect(back).toContainEqual(expect.objectContaining({ type: "identity_changed", phone: ALICE }));
		expect(texts(back)).toEqual([]);
		neverForged("b");
		await assertTruthful("a1", BOB, "b", ALICE);
		const blocked = await runCli(env, ["--profile", "b", "send", ALICE, "blocked meanwhile"]);
		expect(blocked.code, describeResult(blocked)).toBe(7);

		// Bob's one acceptance (install 1's key again). Alice accepts nothing: Bob's key never changed.
		await friendly("b", ["verify", ALICE, "--accept"]);
		// Bob's client tells install 1 (signed notice), install 1 re-sends over a new session, Bob shows it.
		const shownAtBob: unknown[] = [];
		await poll(
			"install 1's message re-sent and shown",
			async () => {
				const bobLines = await receive("b");
				shownAtBob.push(...texts(bobLines));
				await receive("a1");
				await assertTruthful("a1", BOB, "b", ALICE);
				return bobLines;
			},
			async () => shownAtBob.includes("install 1 is back"),
		);
		neverForged("b");
		expect(shownAtBob.filter((text) => text === "install 1 is back")).toHaveLength(1);

		// Delivered at last, truthfully.
		await poll(
			"install 1 sees its message delivered",
			() => receive("a1"),
			async () => (await history("a1", BOB)).find((e) => e.id === stale)?.status === "delivered",
		);

		// And the other way: Bob's reply reaches install 1.
		await sendOk("b", ALICE, "welcome back, install 1");
		const replies: unknown[] = [];
		await poll(
			"Bob's reply at install 1",
			async () => {
				const lines = await receive("a1");
				replies.push(...texts(lines));
				return lines;
			},
			async () => replies.includes("welcome back, install 1"),
		);
		await poll(
			"Bob sees his reply delivered",
			() => receive("b"),
			async () =>
				(await history("b", ALICE)).find((e) => e.text === "welcome back, install 1")?.status === "delivered",
		);
		await assertTruthful("a1", BOB, "b", ALICE);
		await assertTruthful("b", ALICE, "a1", BOB);
		neverForged("b");
		// Nothing from Bob was lost at install 1 either.
		expect((await history("a1", BOB)).filter((e) => e.direction === "in").map((e) => e.text)).toEqual([
			"hi back",
			"welcome back, install 1",
		]);
	}, 120_000);

	it("verify --reject: the new key's message is dropped, its sender sees not delivered with the reason", async () => {
		await Promise.all([registerProfile(env, "f1", FINN), registerProfile(env, "e", ERIN)]);
		await sendOk("f1", ERIN, "from the real finn");
		expect(texts(await receive("e"))).toEqual(["from the real finn"]);

		await registerProfile(env, "f2", FINN);
		const unwanted = await sendOk("f2", ERIN, "trust my new key");
		const changed = await receive("e");
		expect(changed).toContainEqual(expect.objectContaining({ type: "identity_changed", phone: FINN }));
		expect(texts(changed)).toEqual([]);

		const [rejected] = await friendly("e", ["verify", FINN, "--reject"]);
		expect(rejected).toMatchObject({
			rejected: true,
			pendingIdentityChange: false,
			rejectedIdentityChange: true,
		});
		// The held message comes back from the relay to Erin's next receive, is dropped, and Finn is told.
		await poll(
			"the sender sees not delivered",
			async () => [...(await receive("e")), ...(await receive("f2"))],
			async () => (await history("f2", ERIN)).find((e) => e.id === unwanted)?.status === "failed",
		);
		const failed = (await history("f2", ERIN)).find((e) => e.id === unwanted);
		expect(failed).toMatchObject({
			status: "failed",
			error: { code: "not_delivered", reason: "identity_rejected" },
		});
		expect(failed?.error?.message).toMatch(/did not accept your new safety number/);

		// A later message signed by the rejected key: dropped the same way, without asking Erin again.
		const second = await sendOk("f2", ERIN, "still me");
		const again: Line[] = [];
		await poll(
			"the second message not delivered",
			async () => {
				const lines = await receive("e");
				again.push(...lines);
				return [...lines, ...(await receive("f2"))];
			},
			async () => (await history("f2", ERIN)).find((e) => e.id === second)?.status === "failed",
		);
		expect(again.filter((line) => line.type === "identity_changed")).toEqual([]);
		expect((await history("f2", ERIN)).find((e) => e.id === second)).toMatchObject({
			error: { code: "not_delivered", reason: "identity_rejected" },
		});

		// Erin's history has nothing from the rejected key; her contact is no longer blocked.
		expect((await history("e", FINN)).filter((e) => e.direction === "in").map((e) => e.text)).toEqual([
			"from the real finn",
		]);
		expect(texts(transcripts.get("e")?.flatMap((out) => safeJsonLines(out)) ?? [])).not.toContain(
			"trust my new key",
		);
		const [contacts] = await friendly("e", ["contacts"]);
		expect(contacts?.contacts).toContainEqual(
			expect.objectContaining({ phone: FINN, identityChanged: false }),
		);
		await assertTruthful("f2", ERIN, "e", FINN);
	}, 120_000);
});

function safeJsonLines(text: string): Line[] {
	const lines: Line[] = [];
	for (const line of text.split("\n")) {
		try {
			const value: unknown = JSON.parse(line);
			if (typeof value === "object" && value !== null) lines.push({ ...value });
		} catch {
			// stderr or human text
		}
	}
	return lines;
}
