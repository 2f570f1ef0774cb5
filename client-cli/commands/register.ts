// `friendly register <phone> [--code <code>] [--passphrase]`: registers this profile's number.
// On a terminal it requests the code and asks for it (re-asking after a wrong code while tries are
// left). Without a terminal (or with --json) it requests the code and exits; `--code` completes it.
import { Command } from "commander";
import * as v from "valibot";
import type { CliContext } from "../context.ts";
import { CliError, toCliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { LineReader } from "../interactive/line-reader.ts";
import {
	confirmCode,
	deliveryText,
	openProfileForRegistration,
	requestCode,
	worthAskingAgain,
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
		if (options.code === undefined) {
			const requested = await requestCode(context, phone);
			const next = `${context.invocation} register ${phone} --code <code>`;
			if (!context.interactiveTerminal) {
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
				return;
			}
			output.notice(
				`${deliveryText(requested)}${requested.code ? `: ${output.style.bold(requested.code)}` : "."}`,
			);
			await askForCodeAndConfirm(context, profile, phone, requested.code);
		} else {
			await confirmCode(context, profile, phone, options.code);
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

/** Terminal only: asks for the code until it is right or no tries are left. */
async function askForCodeAndConfirm(
	context: CliContext,
	profile: OpenProfile,
	phone: string,
	echoed: string | undefined,
): Promise<void> {
	const reader = new LineReader(context.io.stdin, context.io.stderr, () => reader.close());
	try {
		for (;;) {
			const answer = await reader.ask(
				echoed ? "Enter the 6-digit code (Enter to use the one shown): " : "Enter the 6-digit code: ",
			);
			if (answer === null) {
				throw new CliError(
					EXIT_CODES.usage,
					"cancelled",
					"Registration cancelled: no code entered.",
					"Run the command again, or complete it with --code <code>.",
				);
			}
			const code = answer.trim() === "" && echoed ? echoed : answer.trim();
			try {
				await confirmCode(context, profile, phone, code);
				return;
			} catch (error) {
				const failure = toCliError(error, { relayUrl: context.relayUrl });
				if (!worthAskingAgain(failure)) throw failure;
				context.output.error(failure);
			}
		}
	} finally {
		reader.close();
	}
}
