// A large attachment through the real relay with memory bounded (issue 14): the file is generated as a
// stream, padded, encrypted, hashed and uploaded as a streamed request body; then downloaded, checked and
// decrypted as a stream, and hashed again on the way out — no copy of the file or the blob is ever held.
// The client runs in a process of its own (support/attachment-transfer.ts), so its resident memory is the
// client's alone, not that of wrangler's test harness in this process; its peak growth over the transfer
// must stay far below the file's size (a client that buffered the file or the blob would fail).
// `npm test`: 32 MB (enough to tell a buffered upload from a streamed one); soak (FRIENDLY_SOAK=1, npm run test:soak): 100 MB (10^8 bytes), the figure reported in
// docs/PERFORMANCE.md.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { registerUser, type TestUser } from "../support/messenger-user.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";

const SOAK = process.env.FRIENDLY_SOAK === "1";
const SIZE = SOAK ? 100_000_000 : 32_000_000;
const MiB = 1024 * 1024;
/**
 * The client's resident set may grow this much (uncollected garbage included, tens of MiB whatever the
 * size): by the end of the upload, and over the whole transfer. Both are below the file's size.
 */
const UPLOAD_BOUND_MiB = 24;
const BOUND_MiB = 48;
const CLIENT = fileURLToPath(new URL("./support/attachment-transfer.ts", import.meta.url));

let relay: RunningRelay;
let alice: TestUser;
let bob: TestUser;

async function tokenOf(user: TestUser): Promise<string> {
	const account = await user.stores.account.loadAccount();
	if (!account) throw new Error("not registered");
	return account.token;
}

beforeAll(async () => {
	relay = await startRelay({
		vars: { ATTACHMENT_MAX_BYTES: String(100 * MiB), ATTACHMENT_BYTES_PER_DAY: String(1024 * MiB) },
	});
	alice = await registerUser(relay.url, "+1 555 555 0931");
	bob = await registerUser(relay.url, "+1 555 555 0932");
}, 60_000);

afterAll(async () => {
	await relay?.close();
});

interface Report {
	received: number;
	blobSize: number;
	sent: string;
	got: string;
	uploadSeconds: number;
	downloadSeconds: number;
	baseline: number;
	peak: number;
	peakUpload: number;
	maxRss: number;
	peakArrays: number;
}

/** Runs the client process (Node with tsx, the same Node as this test) and parses its one-line report. */
async function runClient(input: object): Promise<Report> {
	const child = spawn(process.execPath, ["--import", "tsx", "--expose-gc", CLIENT], {
		stdio: ["pipe", "pipe", "pipe"],
	});
	let stdout = "";
	let stderr = "";
	child.stdout.on("data", (chunk) => {
		stdout += String(chunk);
	});
	child.stderr.on("data", (chunk) => {
		stderr += String(chunk);
	});
	child.stdin.end(JSON.stringify(input));
	const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
	if (code !== 0) throw new Error(`the client process exited with ${code}:\n${stderr}`);
	return JSON.parse(stdout) as Report;
}

const mib = (bytes: number) => (bytes / MiB).toFixed(1);

it(`sends and receives ${SIZE / 1_000_000} MB with identical bytes and the client's memory bounded`, async () => {
	const harnessBefore = process.memoryUsage().rss;
	let harnessPeak = harnessBefore;
	const sampler = setInterval(() => {
		harnessPeak = Math.max(harnessPeak, process.memoryUsage().rss);
	}, 20);
	let report: Report;
	try {
		report = await runClient({
			relayUrl: relay.url,
			sender: await tokenOf(alice),
			receiver: await tokenOf(bob),
			size: SIZE,
			maxBytes: 100 * MiB,
		});
	} finally {
		clearInterval(sampler);
	}
	expect(report.received).toBe(SIZE);
	expect(report.got).toBe(report.sent);
	const peakAbove = (report.peak - report.baseline) / MiB;
	const uploadAbove = (report.peakUpload - report.baseline) / MiB;
	console.log(
		`attachment ${SIZE / 1_000_000} MB (blob ${(report.blobSize / 1_000_000).toFixed(1)} MB): ` +
			`encrypt+upload ${report.uploadSeconds.toFixed(1)} s, download+decrypt ${report.downloadSeconds.toFixed(1)} s; ` +
			`client process peak RSS ${mib(report.peak)} MiB, ${peakAbove.toFixed(1)} MiB above the ` +
			`${mib(report.baseline)} MiB before (${uploadAbove.toFixed(1)} MiB by the end of the upload; kernel ` +
			`maxRSS ${mib(report.maxRss)} MiB; ArrayBuffers, live or not yet collected, at most ` +
			`${mib(report.peakArrays)} MiB); the test process with wrangler's harness: ` +
			`${mib(harnessPeak - harnessBefore)} MiB above its ${mib(harnessBefore)} MiB`,
	);
	// A client that buffered the file (as Node's fetch did with a streamed request body: 122 MiB for 100 MB
	// by the end of the upload) fails the first; one that buffered the download fails the second.
	expect(uploadAbove).toBeLessThan(UPLOAD_BOUND_MiB);
	expect(peakAbove).toBeLessThan(BOUND_MiB);
}, 600_000);
