// Relay configuration from Worker vars and secrets (docs/DEPLOY.md lists each). Config is untrusted
// input like any other: it is parsed, and a production config that would leak codes is refused.
import * as v from "valibot";
import {
	ATTACHMENT_RETENTION_MS,
	CODE_DELIVERY_METHODS,
	type CodeDeliveryMethod,
	DEFAULT_ATTACHMENT_BYTES_PER_DAY,
	DEFAULT_ATTACHMENT_MAX_BYTES,
	DEFAULT_ATTACHMENTS_PER_DAY,
	WORKERS_REQUEST_MAX_BYTES,
} from "../../protocol/wire/index.ts";
import { type PushConfig, parsePushConfig } from "../push/push-config.ts";

export interface RelayConfig {
	environment: "development" | "production";
	codeDelivery: CodeDeliveryMethod;
	webhookUrl: string | null;
	webhookSecret: string | null;
	/** Key for the keyed hash of verification codes and session tokens. */
	codeHashKey: string;
	allowedOrigins: readonly string[];
	mailboxMaxMessages: number;
	mailboxMaxBytes: number;
	envelopeMaxBytes: number;
	/** Minimum spacing of code requests per phone (0 only for tests). */
	codeResendIntervalSeconds: number;
	codesPerHour: number;
	/** Web Push (worker/push/); null when the VAPID settings are unset: push is off. */
	push: PushConfig | null;
	/**
	 * Attachment blobs (worker/attachments/): the per-blob limit, each phone's daily quota, and how long a
	 * blob is kept (30 days; shorter only for tests, which need a blob to expire while they wait).
	 */
	attachments: { maxBytes: number; perDay: number; bytesPerDay: number; retentionMs: number };
	/** Logs each phone object's billed usage when it goes idle (worker/durable-objects/usage-meter.ts): the cost bench. */
	usageMeter: boolean;
}

export type ConfigResult = { ok: true; config: RelayConfig } | { ok: false; problems: string[] };

/** Used only outside production when CODE_HASH_KEY is not set, so `npm start` works on a fresh clone. */
const DEVELOPMENT_CODE_HASH_KEY = "friendly-development-only-code-hash-key";

const integerAtLeast = (name: string, minimum: number, fallback: number) =>
	v.optional(
		v.pipe(
			v.string(),
			v.regex(/^[0-9]{1,12}$/, `${name} must be a whole number`),
			v.transform(Number),
			v.minValue(minimum, `${name} must be at least ${minimum}`),
		),
		String(fallback),
	);
const positiveInteger = (name: string, fallback: number) => integerAtLeast(name, 1, fallback);

const RawConfig = v.object({
	ENVIRONMENT: v.optional(
		v.picklist(["development", "production"], "ENVIRONMENT must be development or production"),
		"development",
	),
	CODE_DELIVERY: v.optional(
		v.picklist(CODE_DELIVERY_METHODS, "CODE_DELIVERY must be echo, console or webhook"),
		"echo",
	),
	ALLOW_INSECURE_ECHO: v.optional(
		v.picklist(["true", "false", ""], "ALLOW_INSECURE_ECHO must be true or false"),
		"false",
	),
	WEBHOOK_URL: v.optional(v.string(), ""),
	WEBHOOK_SECRET: v.optional(v.string(), ""),
	CODE_HASH_KEY: v.optional(v.string(), ""),
	ALLOWED_ORIGINS: v.optional(v.string(), ""),
	MAILBOX_MAX_MESSAGES: positiveInteger("MAILBOX_MAX_MESSAGES", 1000),
	MAILBOX_MAX_BYTES: positiveInteger("MAILBOX_MAX_BYTES", 10 * 1024 * 1024),
	ENVELOPE_MAX_BYTES: positiveInteger("ENVELOPE_MAX_BYTES", 64 * 1024),
	CODE_RESEND_INTERVAL_SECONDS: integerAtLeast("CODE_RESEND_INTERVAL_SECONDS", 0, 60),
	CODES_PER_HOUR: positiveInteger("CODES_PER_HOUR", 5),
	VAPID_PUBLIC_KEY: v.optional(v.string(), ""),
	VAPID_PRIVATE_KEY: v.optional(v.string(), ""),
	VAPID_SUBJECT: v.optional(v.string(), ""),
	PUSH_HOSTS: v.optional(v.string(), ""),
	ATTACHMENT_MAX_BYTES: positiveInteger("ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES),
	ATTACHMENTS_PER_DAY: positiveInteger("ATTACHMENTS_PER_DAY", DEFAULT_ATTACHMENTS_PER_DAY),
	ATTACHMENT_BYTES_PER_DAY: positiveInteger("ATTACHMENT_BYTES_PER_DAY", DEFAULT_ATTACHMENT_BYTES_PER_DAY),
	USAGE_METER: v.optional(v.picklist(["off", "log"], "USAGE_METER must be off or log"), "off"),
	ATTACHMENT_RETENTION_SECONDS: positiveInteger(
		"ATTACHMENT_RETENTION_SECONDS",
		ATTACHMENT_RETENTION_MS / 1000,
	),
});

export function parseRelayConfig(env: Record<string, unknown>): ConfigResult {
	const parsed = v.safeParse(RawConfig, env);
	if (!parsed.success) return { ok: false, problems: parsed.issues.map((issue) => issue.message) };
	const raw = parsed.output;
	const problems: string[] = [];
	const production = raw.ENVIRONMENT === "production";

	if (production && raw.CODE_DELIVERY === "echo" && raw.ALLOW_INSECURE_ECHO !== "true") {
		problems.push(
			"CODE_DELIVERY=echo hands verification codes to whoever asks, so anyone can register any phone: " +
				"set CODE_DELIVERY=webhook (see docs/DEPLOY.md), or ALLOW_INSECURE_ECHO=true for a private test deployment",
		);
	}
	if (raw.CODE_DELIVERY === "webhook") {
		if (!/^https?:\/\/[^\s]+$/.test(raw.WEBHOOK_URL))
			problems.push("CODE_DELIVERY=webhook needs WEBHOOK_URL (an http(s) URL)");
		if (raw.WEBHOOK_SECRET.length < 16)
			problems.push("CODE_DELIVERY=webhook needs the secret WEBHOOK_SECRET (at least 16 characters)");
	}
	if (production && raw.CODE_HASH_KEY.length < 32) {
		problems.push(
			"production needs the secret CODE_HASH_KEY (at least 32 random characters): wrangler secret put CODE_HASH_KEY",
		);
	}
	if (production && raw.CODE_RESEND_INTERVAL_SECONDS < 30) {
		problems.push("production needs CODE_RESEND_INTERVAL_SECONDS of at least 30 (SMS flooding)");
	}
	if (raw.ENVELOPE_MAX_BYTES > 1024 * 1024) problems.push("ENVELOPE_MAX_BYTES must be at most 1048576");
	if (raw.MAILBOX_MAX_BYTES < raw.ENVELOPE_MAX_BYTES)
		problems.push("MAILBOX_MAX_BYTES must be at least ENVELOPE_MAX_BYTES");
	if (raw.ATTACHMENT_MAX_BYTES > WORKERS_REQUEST_MAX_BYTES)
		problems.push(
			`ATTACHMENT_MAX_BYTES must be at most ${WORKERS_REQUEST_MAX_BYTES} (the Workers request-body limit)`,
		);
	if (raw.ATTACHMENT_RETENTION_SECONDS > ATTACHMENT_RETENTION_MS / 1000)
		problems.push(
			`ATTACHMENT_RETENTION_SECONDS must be at most ${ATTACHMENT_RETENTION_MS / 1000} (30 days: the bucket's lifecycle rule deletes blobs then)`,
		);
	if (production && raw.ATTACHMENT_RETENTION_SECONDS < ATTACHMENT_RETENTION_MS / 1000)
		problems.push("production keeps files for 30 days: ATTACHMENT_RETENTION_SECONDS is for tests only");
	if (raw.ATTACHMENT_BYTES_PER_DAY < raw.ATTACHMENT_MAX_BYTES)
		problems.push("ATTACHMENT_BYTES_PER_DAY must be at least ATTACHMENT_MAX_BYTES");
	const push = parsePushConfig(raw);
	problems.push(...push.problems);
	if (problems.length > 0) return { ok: false, problems };

	return {
		ok: true,
		config: {
			environment: raw.ENVIRONMENT,
			codeDelivery: raw.CODE_DELIVERY,
			webhookUrl: raw.WEBHOOK_URL || null,
			webhookSecret: raw.WEBHOOK_SECRET || null,
			codeHashKey: raw.CODE_HASH_KEY || DEVELOPMENT_CODE_HASH_KEY,
			allowedOrigins: raw.ALLOWED_ORIGINS.split(",")
				.map((origin) => origin.trim())
				.filter((origin) => origin.length > 0),
			mailboxMaxMessages: raw.MAILBOX_MAX_MESSAGES,
			mailboxMaxBytes: raw.MAILBOX_MAX_BYTES,
			envelopeMaxBytes: raw.ENVELOPE_MAX_BYTES,
			codeResendIntervalSeconds: raw.CODE_RESEND_INTERVAL_SECONDS,
			codesPerHour: raw.CODES_PER_HOUR,
			push: push.push,
			attachments: {
				maxBytes: raw.ATTACHMENT_MAX_BYTES,
				perDay: raw.ATTACHMENTS_PER_DAY,
				bytesPerDay: raw.ATTACHMENT_BYTES_PER_DAY,
				retentionMs: raw.ATTACHMENT_RETENTION_SECONDS * 1000,
			},
			usageMeter: raw.USAGE_METER === "log",
		},
	};
}

const cache = new WeakMap<object, ConfigResult>();

/** Parses once per env object (one per isolate), logging a refused config once. */
export function relayConfig(env: object): ConfigResult {
	let result = cache.get(env);
	if (!result) {
		result = parseRelayConfig({ ...env });
		if (!result.ok) console.error(`FriendLy relay refuses to serve: ${result.problems.join("; ")}`);
		cache.set(env, result);
	}
	return result;
}
