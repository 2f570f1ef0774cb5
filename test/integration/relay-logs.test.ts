// What a running relay (`wrangler dev`, the command `npm start` runs) writes to its log when people
// register, connect and fetch keys: the relay's own lines name route patterns and redacted phones,
// never a full number (docs/DEPLOY.md §Logs). wrangler's dev server adds a line per request with its
// path; at --log-level warn it does not, and then nothing in the output holds a number.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { RelayHttpClient } from "../../protocol/client/index.ts";
import { PROTOCOL_VERSION } from "../../protocol/wire/index.ts";
import { makeIdentity, makeOneTimePrekeys, makeSignedPrekey } from "../support/test-identity.ts";
import { startWranglerDev, type WranglerDev } from "../support/wrangler-dev.ts";

const ALICE = "+15555550181";
const BOB = "+15555550182";
/** Every way a full number could show: E.164, digits only, percent-encoded, national digits. */
const SPELLINGS = [ALICE, BOB].flatMap((phone) => [
	phone,
	phone.slice(1),
	encodeURIComponent(phone),
	phone.slice(2),
]);

let relay: WranglerDev | null = null;
afterEach(async () => {
	await relay?.stop();
	relay = null;
});

async function start(logLevel?: "warn"): Promise<WranglerDev> {
	relay = await startWranglerDev({
		vars: { CODE_DELIVERY: "console" },
		persistTo: await mkdtemp(join(tmpdir(), "friendly-logs-")),
		...(logLevel ? { logLevel } : {}),
	});
	return relay;
}

async function waitForOutput(dev: WranglerDev, pattern: RegExp): Promise<RegExpMatchArray> {
	const deadline = Date.now() + 10_000;
	for (;;) {
		const match = pattern.exec(dev.output());
		if (match) return match;
		if (Date.now() > deadline) throw new Error(`no ${pattern} in the relay's output:\n${dev.output()}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/** Registers (the code read from the console delivery line), publishes keys, connects, fetches a bundle. */
async function exercise(dev: WranglerDev): Promise<void> {
	const http = new RelayHttpClient(dev.url);
	const tokens: string[] = [];
	for (const phone of [ALICE, BOB]) {
		await http.requestCode(phone);
		const [, code] = await waitForOutput(
			dev,
			new RegExp(`code for \\+[0-9]{1,2}…${phone.slice(-2)}: ([0-9]{6})`),
		);
		const identity = await makeIdentity();
		const registered = await http.confirmCode(phone, code ?? "", identity.publicKeys);
		await http.uploadPrekeys(registered.token, {
			signedPrekey: await makeSignedPrekey(identity, 1),
			oneTimePrekeys: await makeOneTimePrekeys(1, 2),
		});
		tokens.push(registered.token);
	}
	const [aliceToken, bobToken] = tokens;
	expect((await http.fetchBundle(bobToken ?? "", ALICE)).phone).toBe(ALICE);
	expect((await http.prekeyStatus(aliceToken ?? "")).oneTimePrekeys).toBe(1);
	const socket = new WebSocket(http.connectUrl(ALICE));
	const ready = new Promise<string>((resolve, reject) => {
		socket.on("message", (data) => resolve(String(data)));
		socket.on("error", reject);
	});
	socket.on("open", () =>
		socket.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, token: aliceToken })),
	);
	expect(JSON.parse(await ready)).toMatchObject({ type: "ready", phone: ALICE });
	socket.close();
	// The relay's lines for these requests are written after the answers.
	await new Promise((resolve) => setTimeout(resolve, 500));
}

function linesWithANumber(output: string): string[] {
	return output.split("\n").filter((line) => SPELLINGS.some((spelling) => line.includes(spelling)));
}

describe("the relay's log", () => {
	it("names route patterns and redacted phones, never a full number", async () => {
		const dev = await start();
		await exercise(dev);
		const output = dev.output();
		for (const line of [
			/POST \/v1\/verification\/request 200 \d+ms/,
			/POST \/v1\/verification\/confirm 200 \d+ms/,
			/PUT \/v1\/keys 200 \d+ms/,
			/GET \/v1\/keys\/:phone 200 \d+ms/,
			/GET \/v1\/keys 200 \d+ms/,
			/GET \/v1\/connect\/:phone 101 \d+ms/,
		])
			expect(output).toMatch(line);
		// Only wrangler's own dev-server request lines ("[wrangler:info] GET /v1/keys/%2B… 200 OK (5ms)")
		// show paths; production has no such lines (invocation logs are off, wrangler.toml).
		const devServerRequest = /^\[wrangler:info\] [A-Z]+ \/\S* \d{3} /;
		expect(linesWithANumber(output).filter((line) => !devServerRequest.test(line))).toEqual([]);
	});

	it("at --log-level warn, nothing in wrangler dev's output holds a full number", async () => {
		const dev = await start("warn");
		await exercise(dev);
		expect(dev.output()).toMatch(/code for \+[0-9]{1,2}…81: [0-9]{6}/);
		expect(linesWithANumber(dev.output())).toEqual([]);
	});
});
