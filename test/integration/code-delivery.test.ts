// Code delivery modes against the real relay: a signed webhook to a local receiver, a webhook that
// fails, and the start-up refusal of a production config that would echo codes.
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RelayHttpClient, RelayRequestError } from "../../protocol/client/index.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";
import { makeIdentity } from "../support/test-identity.ts";
import { startWranglerDev } from "../support/wrangler-dev.ts";

const WEBHOOK_SECRET = "test-webhook-secret-0123456789";
const CODE_HASH_KEY = "test-code-hash-key-0123456789abcdef0123456789";

interface ReceivedHook {
	headers: Record<string, string | string[] | undefined>;
	body: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startReceiver(status: number): Promise<{ url: string; received: ReceivedHook[] }> {
	const received: ReceivedHook[] = [];
	const server: Server = createServer((request, response) => {
		let body = "";
		request.on("data", (chunk) => {
			body += chunk;
		});
		request.on("end", () => {
			received.push({ headers: request.headers, body });
			response.writeHead(status).end();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
	const { port } = server.address() as AddressInfo;
	return { url: `http://127.0.0.1:${port}/hook`, received };
}

async function relayWith(
	vars: Record<string, string>,
	secrets: Record<string, string> = {},
): Promise<RunningRelay> {
	// Production refuses the tests' zero resend spacing, so production relays get the default.
	const spacing: Record<string, string> =
		vars.ENVIRONMENT === "production" ? { CODE_RESEND_INTERVAL_SECONDS: "60" } : {};
	const relay = await startRelay({ vars: { ...spacing, ...vars }, secrets });
	cleanups.push(() => relay.close());
	return relay;
}

async function codeError(promise: Promise<unknown>): Promise<RelayRequestError> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof RelayRequestError) return error;
		throw error;
	}
	throw new Error("expected the relay to refuse");
}

describe("webhook code delivery", () => {
	it("POSTs the code with a valid HMAC signature, never returns it, and the code registers", async () => {
		const receiver = await startReceiver(200);
		const relay = await relayWith(
			{ CODE_DELIVERY: "webhook", WEBHOOK_URL: receiver.url },
			{ WEBHOOK_SECRET, CODE_HASH_KEY },
		);
		const http = new RelayHttpClient(relay.url);
		const response = await http.requestCode("+44 20 7946 0958");
		expect(response.delivery).toBe("webhook");
		expect(response.code).toBeUndefined();
		expect(receiver.received).toHaveLength(1);
		const hook = receiver.received[0];
		if (!hook) throw new Error("no webhook received");
		const timestamp = String(hook.headers["x-friendly-timestamp"]);
		const expected = `v1=${createHmac("sha256", WEBHOOK_SECRET).update(`${timestamp}.${hook.body}`).digest("hex")}`;
		const signature = String(hook.headers["x-friendly-signature"]);
		expect(signature.length).toBe(expected.length);
		expect(timingSafeEqual(Buffer.from(signature), Buffer.from(expected))).toBe(true);
		const payload: unknown = JSON.parse(hook.body);
		expect(payload).toMatchObject({ type: "verification_code", phone: "+442079460958" });
		const code =
			typeof payload === "object" && payload !== null && "code" in payload ? String(payload.code) : "";
		expect(code).toMatch(/^[0-9]{6}$/);
		const registered = await http.confirmCode("+442079460958", code, (await makeIdentity()).publicKeys);
		expect(registered.identityChanged).toBe(false);
	});

	it("answers delivery_failed when the webhook receiver fails", async () => {
		const receiver = await startReceiver(500);
		const relay = await relayWith(
			{ CODE_DELIVERY: "webhook", WEBHOOK_URL: receiver.url },
			{ WEBHOOK_SECRET, CODE_HASH_KEY },
		);
		const error = await codeError(new RelayHttpClient(relay.url).requestCode("+44 20 7946 0959"));
		expect(error.code).toBe("delivery_failed");
		expect(error.details.status).toBe(502);
	});
});

describe("production configuration", () => {
	it("refuses to serve with echo delivery unless explicitly allowed", async () => {
		const refused = await relayWith({ ENVIRONMENT: "production", CODE_DELIVERY: "echo" }, { CODE_HASH_KEY });
		const error = await codeError(new RelayHttpClient(refused.url).requestCode("+1 555 555 0100"));
		expect(error.code).toBe("server_misconfigured");
		expect(error.details.status).toBe(503);

		const allowed = await relayWith(
			{ ENVIRONMENT: "production", CODE_DELIVERY: "echo", ALLOW_INSECURE_ECHO: "true" },
			{ CODE_HASH_KEY },
		);
		expect((await new RelayHttpClient(allowed.url).requestCode("+1 555 555 0100")).delivery).toBe("echo");
	});

	it("refuses production without a code hash key", async () => {
		const receiver = await startReceiver(200);
		const relay = await relayWith(
			{ ENVIRONMENT: "production", CODE_DELIVERY: "webhook", WEBHOOK_URL: receiver.url },
			{ WEBHOOK_SECRET },
		);
		const error = await codeError(new RelayHttpClient(relay.url).requestCode("+1 555 555 0100"));
		expect(error.code).toBe("server_misconfigured");
	});
});

describe("console code delivery", () => {
	it("prints the code in the relay's log with the phone redacted, and does not return it", async () => {
		const dev = await startWranglerDev({
			vars: { CODE_DELIVERY: "console" },
			persistTo: await mkdtemp(join(tmpdir(), "friendly-")),
		});
		cleanups.push(() => dev.stop());
		const response = await new RelayHttpClient(dev.url).requestCode("+1 555 555 0177");
		expect(response.delivery).toBe("console");
		expect(response.code).toBeUndefined();
		const deadline = Date.now() + 10_000;
		while (!/code for \+[0-9]{1,2}…77: [0-9]{6}/.test(dev.output()) && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		expect(dev.output()).toMatch(/code for \+[0-9]{1,2}…77: [0-9]{6}/);
		expect(dev.output(), dev.output()).not.toContain("5555550177");
	});
});
