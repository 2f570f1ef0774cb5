// Relay configuration (worker/config/relay-config.ts) and what the relay does with a refused config;
// the webhook signature against a known HMAC-SHA-256.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CodeRequestResponse, HealthResponse } from "../../protocol/wire/index.ts";
import { createRelayApp } from "../../worker/app.ts";
import { signWebhook } from "../../worker/code-delivery/webhook-signature.ts";
import { parseRelayConfig } from "../../worker/config/relay-config.ts";
import { expectError, expectOk, RELAY } from "./helpers/http.ts";
import { newPhone, pathPhone } from "./helpers/phones.ts";

const HASH_KEY = "k".repeat(32);
const SECRET = "s".repeat(16);

function problemsOf(raw: Record<string, unknown>): string[] {
	const result = parseRelayConfig(raw);
	return result.ok ? [] : result.problems;
}

function configOf(raw: Record<string, unknown>) {
	const result = parseRelayConfig(raw);
	if (!result.ok) throw new Error(`config refused: ${result.problems.join("; ")}`);
	return result.config;
}

describe("parseRelayConfig", () => {
	it("defaults to development with echo delivery and documented limits", () => {
		const config = configOf({});
		expect(config).toMatchObject({
			environment: "development",
			codeDelivery: "echo",
			webhookUrl: null,
			webhookSecret: null,
			allowedOrigins: [],
			mailboxMaxMessages: 1000,
			mailboxMaxBytes: 10 * 1024 * 1024,
			envelopeMaxBytes: 64 * 1024,
		});
		expect(config.codeHashKey.length).toBeGreaterThan(0);
	});

	it("refuses echo in production unless ALLOW_INSECURE_ECHO=true", () => {
		const production = { ENVIRONMENT: "production", CODE_HASH_KEY: HASH_KEY, CODE_DELIVERY: "echo" };
		expect(problemsOf(production).join()).toContain("CODE_DELIVERY=echo");
		expect(problemsOf({ ...production, ALLOW_INSECURE_ECHO: "false" }).join()).toContain(
			"CODE_DELIVERY=echo",
		);
		expect(problemsOf({ ...production, ALLOW_INSECURE_ECHO: "" }).join()).toContain("CODE_DELIVERY=echo");
		expect(configOf({ ...production, ALLOW_INSECURE_ECHO: "true" }).codeDelivery).toBe("echo");
		// Production defaults to echo when CODE_DELIVERY is unset: refused as well.
		expect(problemsOf({ ENVIRONMENT: "production", CODE_HASH_KEY: HASH_KEY }).join()).toContain(
			"CODE_DELIVERY=echo",
		);
	});

	it("accepts echo and console in development", () => {
		expect(configOf({ CODE_DELIVERY: "echo" }).codeDelivery).toBe("echo");
		expect(configOf({ CODE_DELIVERY: "console" }).codeDelivery).toBe("console");
	});

	it("production needs a CODE_HASH_KEY of at least 32 characters", () => {
		const base = {
			ENVIRONMENT: "production",
			CODE_DELIVERY: "webhook",
			WEBHOOK_URL: "https://hook.example/sms",
			WEBHOOK_SECRET: SECRET,
		};
		expect(problemsOf(base).join()).toContain("CODE_HASH_KEY");
		expect(problemsOf({ ...base, CODE_HASH_KEY: "k".repeat(31) }).join()).toContain("CODE_HASH_KEY");
		const config = configOf({ ...base, CODE_HASH_KEY: HASH_KEY });
		expect(config).toMatchObject({
			environment: "production",
			codeDelivery: "webhook",
			codeHashKey: HASH_KEY,
			webhookUrl: "https://hook.example/sms",
			webhookSecret: SECRET,
		});
	});

	it("webhook delivery needs an http(s) WEBHOOK_URL and a secret of at least 16 characters", () => {
		expect(problemsOf({ CODE_DELIVERY: "webhook", WEBHOOK_SECRET: SECRET }).join()).toContain("WEBHOOK_URL");
		expect(
			problemsOf({ CODE_DELIVERY: "webhook", WEBHOOK_URL: "ftp://x.example", WEBHOOK_SECRET: SECRET }).join(),
		).toContain("WEBHOOK_URL");
		expect(
			problemsOf({
				CODE_DELIVERY: "webhook",
				WEBHOOK_URL: "https://x.example/a b",
				WEBHOOK_SECRET: SECRET,
			}).join(),
		).toContain("WEBHOOK_URL");
		expect(problemsOf({ CODE_DELIVERY: "webhook", WEBHOOK_URL: "https://x.example" }).join()).toContain(
			"WEBHOOK_SECRET",
		);
		expect(
			problemsOf({
				CODE_DELIVERY: "webhook",
				WEBHOOK_URL: "https://x.example",
				WEBHOOK_SECRET: "s".repeat(15),
			}).join(),
		).toContain("WEBHOOK_SECRET");
		expect(
			configOf({ CODE_DELIVERY: "webhook", WEBHOOK_URL: "http://127.0.0.1:9/hook", WEBHOOK_SECRET: SECRET })
				.codeDelivery,
		).toBe("webhook");
	});

	it("per-phone code limits default to 60 s spacing and 5 per hour; 0 s spacing only outside production", () => {
		expect(configOf({})).toMatchObject({ codeResendIntervalSeconds: 60, codesPerHour: 5 });
		expect(configOf({ CODE_RESEND_INTERVAL_SECONDS: "0", CODES_PER_HOUR: "50" })).toMatchObject({
			codeResendIntervalSeconds: 0,
			codesPerHour: 50,
		});
		const production = {
			ENVIRONMENT: "production",
			CODE_HASH_KEY: HASH_KEY,
			CODE_DELIVERY: "webhook",
			WEBHOOK_URL: "https://hook.example/sms",
			WEBHOOK_SECRET: SECRET,
		};
		expect(problemsOf({ ...production, CODE_RESEND_INTERVAL_SECONDS: "29" }).join()).toContain(
			"CODE_RESEND_INTERVAL_SECONDS",
		);
		expect(configOf({ ...production, CODE_RESEND_INTERVAL_SECONDS: "30" }).codeResendIntervalSeconds).toBe(
			30,
		);
		expect(problemsOf({ CODES_PER_HOUR: "0" }).join()).toContain("CODES_PER_HOUR");
		expect(problemsOf({ CODE_RESEND_INTERVAL_SECONDS: "-1" }).join()).toContain(
			"CODE_RESEND_INTERVAL_SECONDS",
		);
	});

	it("reports every problem at once", () => {
		const problems = problemsOf({ ENVIRONMENT: "production", CODE_DELIVERY: "webhook" });
		expect(problems).toHaveLength(3);
	});

	it.each([
		["ENVIRONMENT", "staging"],
		["CODE_DELIVERY", "sms"],
		["ALLOW_INSECURE_ECHO", "yes"],
		["MAILBOX_MAX_MESSAGES", "0"],
		["MAILBOX_MAX_MESSAGES", "-5"],
		["MAILBOX_MAX_MESSAGES", "ten"],
		["MAILBOX_MAX_MESSAGES", "1.5"],
		["MAILBOX_MAX_BYTES", ""],
		["ENVELOPE_MAX_BYTES", "1e6"],
	])("refuses %s=%j", (name, value) => {
		expect(problemsOf({ [name]: value }).join()).toContain(name);
	});

	it("caps ENVELOPE_MAX_BYTES at 1 MiB and requires MAILBOX_MAX_BYTES ≥ ENVELOPE_MAX_BYTES", () => {
		expect(problemsOf({ ENVELOPE_MAX_BYTES: "1048577", MAILBOX_MAX_BYTES: "99999999" }).join()).toContain(
			"ENVELOPE_MAX_BYTES must be at most",
		);
		expect(configOf({ ENVELOPE_MAX_BYTES: "1048576", MAILBOX_MAX_BYTES: "1048576" }).envelopeMaxBytes).toBe(
			1048576,
		);
		expect(problemsOf({ ENVELOPE_MAX_BYTES: "1000", MAILBOX_MAX_BYTES: "999" }).join()).toContain(
			"MAILBOX_MAX_BYTES",
		);
	});

	it("parses numbers and the ALLOWED_ORIGINS list", () => {
		const config = configOf({
			MAILBOX_MAX_MESSAGES: "20",
			MAILBOX_MAX_BYTES: "262144",
			ENVELOPE_MAX_BYTES: "1024",
			ALLOWED_ORIGINS: " https://a.example, ,https://b.example:8443 ",
		});
		expect(config).toMatchObject({
			mailboxMaxMessages: 20,
			mailboxMaxBytes: 262144,
			envelopeMaxBytes: 1024,
			allowedOrigins: ["https://a.example", "https://b.example:8443"],
		});
	});

	it("the usage meter is off unless USAGE_METER=log (the cost bench), and nothing else is accepted", () => {
		expect(configOf({}).usageMeter).toBe(false);
		expect(configOf({ USAGE_METER: "off" }).usageMeter).toBe(false);
		expect(configOf({ USAGE_METER: "log" }).usageMeter).toBe(true);
		expect(problemsOf({ USAGE_METER: "yes" })).toEqual(["USAGE_METER must be off or log"]);
	});

	it("the test project runs with the small caps from vitest.config.ts", () => {
		expect(configOf({ ...env })).toMatchObject({ mailboxMaxMessages: 20, mailboxMaxBytes: 262144 });
	});
});

describe("the relay with a refused config", () => {
	const productionEcho = {
		...env,
		ENVIRONMENT: "production",
		CODE_DELIVERY: "echo",
		CODE_HASH_KEY: HASH_KEY,
	};

	it.each([
		["GET", "/healthz"],
		["POST", "/v1/verification/request"],
		["POST", "/v1/verification/confirm"],
		["GET", "/v1/keys"],
		["PUT", "/v1/keys"],
		["DELETE", "/v1/session"],
		["GET", "/v1/connect/%2B15555550100"],
		["GET", "/no/such/route"],
	])("production with echo answers 503 server_misconfigured to %s %s", async (method, path) => {
		const app = createRelayApp();
		const response = await app.fetch(
			new Request(`${RELAY}${path}`, {
				method,
				headers: {
					"content-type": "application/json",
					upgrade: "websocket",
					"cf-connecting-ip": "203.0.113.9",
				},
				body: method === "GET" ? undefined : JSON.stringify({ phone: newPhone() }),
			}),
			productionEcho,
		);
		const error = await expectError(response, "server_misconfigured", 503);
		expect(error.message).not.toContain("echo");
	});

	it("production with ALLOW_INSECURE_ECHO=true serves and echoes the code", async () => {
		const app = createRelayApp();
		const allowed = { ...productionEcho, ALLOW_INSECURE_ECHO: "true" };
		await expectOk(await app.fetch(new Request(`${RELAY}/healthz`), allowed), HealthResponse);
		const phone = newPhone();
		const response = await app.fetch(
			new Request(`${RELAY}/v1/verification/request`, {
				method: "POST",
				headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.10" },
				body: JSON.stringify({ phone }),
			}),
			allowed,
		);
		const body = await expectOk(response, CodeRequestResponse);
		expect(body.delivery).toBe("echo");
		expect(body.code).toMatch(/^[0-9]{6}$/);
		expect(pathPhone(body.phone)).toBe(pathPhone(phone));
	});
});

describe("webhook signature", () => {
	const timestamp = "1700000000";
	const body =
		'{"type":"verification_code","phone":"+15555550100","code":"012345","expiresAt":1700000600000}';

	it("is v1= hex HMAC-SHA-256(secret, timestamp + '.' + body) (known answer, computed with OpenSSL)", async () => {
		expect(await signWebhook("Jefe", timestamp, body)).toBe(
			"v1=fec1ad8756bf251b91a2366c54bbfa80697f6fbdc3d62736d5f7ac875ceb7124",
		);
	});

	it("changes with the secret, the timestamp and the body", async () => {
		const reference = await signWebhook("Jefe", timestamp, body);
		expect(await signWebhook("Jeff", timestamp, body)).not.toBe(reference);
		expect(await signWebhook("Jefe", "1700000001", body)).not.toBe(reference);
		expect(await signWebhook("Jefe", timestamp, body.replace("012345", "012346"))).not.toBe(reference);
	});
});
