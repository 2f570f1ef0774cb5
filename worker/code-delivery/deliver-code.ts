// Pluggable delivery of verification codes (docs/DEPLOY.md §Code delivery):
// - echo: the code goes back in the HTTP response. Local development only: anyone could register
//   anyone's phone. Refused in production unless ALLOW_INSECURE_ECHO=true.
// - console: the code is printed in the relay's log (with the phone redacted). Development only.
// - webhook: the relay POSTs the code to an operator's URL, signed with HMAC-SHA-256, so any SMS
//   provider can be attached with a few lines of glue.
import { type E164, redactPhone } from "../../protocol/wire/index.ts";
import type { RelayConfig } from "../config/relay-config.ts";
import { failure, type Outcome, success } from "../relay-error.ts";
import { signWebhook } from "./webhook-signature.ts";

export interface CodeMessage {
	phone: E164;
	code: string;
	expiresAt: number;
}

/** What the requester may see: the code itself only with echo delivery. */
export type DeliveredCode = { delivery: "echo"; code: string } | { delivery: "console" | "webhook" };

export async function deliverCode(
	config: RelayConfig,
	message: CodeMessage,
): Promise<Outcome<DeliveredCode>> {
	switch (config.codeDelivery) {
		case "echo":
			return success({ delivery: "echo", code: message.code });
		case "console":
			// A warning (this mode is insecure), which also keeps it visible in a `wrangler dev` whose log
			// level hides request lines (docs/DEPLOY.md §Logs).
			console.warn(
				`[code delivery: console — insecure, development only] code for ${redactPhone(message.phone)}: ${message.code}`,
			);
			return success({ delivery: "console" });
		case "webhook":
			return sendWebhook(config, message);
	}
}

async function sendWebhook(config: RelayConfig, message: CodeMessage): Promise<Outcome<DeliveredCode>> {
	if (!config.webhookUrl || !config.webhookSecret) {
		return failure(
			"server_misconfigured",
			"Code delivery is not configured on this relay; tell its operator.",
		);
	}
	const body = JSON.stringify({ type: "verification_code", ...message });
	const timestamp = String(Math.floor(Date.now() / 1000));
	try {
		const response = await fetch(config.webhookUrl, {
			method: "POST",
			headers: {
				"content-type": "application/json",
				"x-friendly-timestamp": timestamp,
				"x-friendly-signature": await signWebhook(config.webhookSecret, timestamp, body),
			},
			body,
			signal: AbortSignal.timeout(10_000),
		});
		if (response.ok) return success({ delivery: "webhook" });
		console.error(`code delivery webhook answered HTTP ${response.status}`);
	} catch (error) {
		console.error(`code delivery webhook failed: ${error instanceof Error ? error.name : "error"}`);
	}
	return failure("delivery_failed", "The code could not be sent just now; try again in a minute.", {
		retryAfter: 60,
	});
}
