// `friendly register <phone> [--code <code>] [--passphrase]`: registers this profile's number.
// On a terminal it requests the code and asks for it (re-asking after a wrong code while tries are
// left); a code requested earlier that still works is asked for instead ("new" sends a new one when the
// relay allows). Without a terminal (or with --json) it requests the code and exits (or says the earlier
// one still works); `--code` completes it.
import { Command } from "commander";
import * as v from "valibot";
import type { CliContext } from "../context.ts";
import { CliError, toCliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { LineReader } from "../interactive/line-reader.ts";
import { requestAndConfirm } from "../interactive/registration-prompt.ts";
import {
	confirmCode,
	deliveryText,
	openProfileForRegistration,
	pendingCode,
	requestCode,
	secondsUntil,
	validityText,
} from "../registration.ts";
import { Runtime } from "../run.ts";
import type { OpenProfile } from "../storage/index.ts";

const RegisterOptions = v.object({
	code: v.optional(v.string()),
	passphrase: v.optional(v.boolean()),
});

export function registerCommand(runtime: Runtime): Command {
	return new Command("register")
		.description("register this profile's phone number (requests a code, then confirms it)")
		.argument("<phone>", "your number with + and country code, e.g. +15555550100")
		.option("--code <code>", "complete a registration with the 6-digit code you received")
		.option("--passphrase", "protect this profile's keys with a passphrase (FRIENDLY_PASSPHRASE, or asked)")
		.action((phoneInput: string, _options: unknown, command: Command) =>
			runtime.run(command, (context) =>
				register(context, phoneInput, Runtime.options(RegisterOptions, command)),
			),
		);
}

async function register(
	context: CliContext,
	phoneInput: string,
	options: v.InferOutput<typeof RegisterOptions>,
): Promise<void> {
	const phone = context.phone(phoneInput);
	const profile = await openProfileForRegistration(context, phone, options.passphrase === true);
	const { output } = context;
	try {
		if (options.code !== undefined) await confirmCode(context, profile, phone, options.code);
		else if (context.interactiveTerminal) await askForCodeAndConfirm(context, profile, phone);
		else {
			await requestWithoutTerminal(context, profile, phone);
			return;
		}
		output.result(
			[
				`${output.style.green("Registered")} ${phone} with ${context.relayUrl}; your keys are published.`,
				`Chat with \`${context.invocation}\` or send with \`${context.invocation} send <phone> <message>\`.`,
			],
			{ ok: true, registered: true, phone, relayUrl: context.relayUrl, profile: context.profileName },
		);
	} finally {
		await profile.close();
	}
}

/**
 * Scripts: requests a code and says how to complete — or, while a code requested earlier still works
 * and the relay would refuse a new one, says that instead (the earlier code completes it).
 */
async function requestWithoutTerminal(
	context: CliContext,
	profile: OpenProfile,
	phone: string,
): Promise<void> {
	const { output } = context;
	const next = `${context.invocation} register ${phone} --code <code>`;
	const pending = await pendingCode(context, profile, phone);
	if (pending && secondsUntil(pending.resendAt) > 0) {
		const expiresIn = secondsUntil(pending.expiresAt);
		const resendAfter = secondsUntil(pending.resendAt);
		output.result(
			[
				`A code for ${phone} was already sent and works for ${validityText(pending)} more; a new one can be sent in ${resendAfter} s.`,
				`Complete the registration with: ${next}`,
			],
			{ ok: true, phone, pending: true, expiresIn, resendAfter, next },
		);
		return;
	}
	const requested = await requestCode(context, profile, phone);
	output.result(
		[
			`${deliveryText(requested)}; it expires in ${Math.round(requested.expiresIn / 60)} minutes.`,
			...(requested.code ? [`Code: ${requested.code}`] : []),
			`Complete the registration with: ${next}`,
		],
		{
			ok: true,
			phone: requested.phone,
			delivery: requested.delivery,
			expiresIn: requested.expiresIn,
			resendAfter: requested.resendAfter,
			...(requested.code ? { code: requested.code } : {}),
			next,
		},
	);
}

/**
 * Terminal only: asks for the code (of a request still valid, or a new one) until it is right, no
 * tries are left, or input ends (Ctrl-C / Ctrl-D: the request is kept for the next run).
 */
async function askForCodeAndConfirm(context: CliContext, profile: OpenProfile, phone: string): Promise<void> {
	const reader = new LineReader(context.io.stdin, context.io.stderr, () => reader.close());
	try {
		const outcome = await requestAndConfirm(
			context,
			profile,
			{
				reader,
				print: (line) => context.output.notice(line),
				printError: (error) => context.output.error(toCliError(error, { relayUrl: context.relayUrl })),
			},
			phone,
			{ quiet: true },
		);
		if (outcome.kind === "failed") throw outcome.error;
		if (outcome.kind === "cancelled") {
			throw new CliError(
				EXIT_CODES.usage,
				"cancelled",
				"Registration cancelled: no code entered.",
				`Run \`${context.invocation} register ${phone}\` again within the code's validity to enter it, or complete it with --code <code>.`,
			);
		}
	} finally {
		reader.close();
	}
}
