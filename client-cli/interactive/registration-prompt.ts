// First run of the interactive client on an unregistered profile: ask for the phone number, request a
// code (showing it when the relay delivered it by echo), ask for the code (again while tries are left),
// register and publish keys. Every error is printed with what to do, then the question is asked again;
// end of input cancels.
import type { AccountRecord } from "../../protocol/messenger/index.ts";
import type { CliContext } from "../context.ts";
import { toCliError } from "../errors.ts";
import { confirmCode, deliveryText, requestCode, worthAskingAgain } from "../registration.ts";
import type { OpenProfile } from "../storage/index.ts";
import type { LineReader } from "./line-reader.ts";

export async function registerInteractively(
	context: CliContext,
	profile: OpenProfile,
	reader: LineReader,
	print: (line: string) => void,
	printError: (error: unknown) => void,
): Promise<AccountRecord | undefined> {
	const { style } = context.output;
	print(`Welcome to FriendLy. This profile (${context.profileName}) is not registered yet.`);
	for (;;) {
		const phoneInput = await reader.ask("Your phone number (+ and country code): ");
		if (phoneInput === null) return undefined;
		if (phoneInput.trim() === "") continue;
		let phone: string;
		let echoed: string | undefined;
		try {
			phone = context.phone(phoneInput);
			const requested = await requestCode(context, phone);
			echoed = requested.code;
			print(`${deliveryText(requested)}${echoed ? `: ${style.bold(echoed)}` : "."}`);
		} catch (error) {
			printError(error);
			continue;
		}
		for (;;) {
			const answer = await reader.ask(
				echoed ? "Verification code (Enter to use the one shown): " : "Verification code: ",
			);
			if (answer === null) return undefined;
			const code = answer.trim() === "" && echoed ? echoed : answer.trim();
			try {
				const account = await confirmCode(context, profile, phone, code);
				print(`${style.green("Registered")} ${account.phone}; your keys are published.`);
				return account;
			} catch (error) {
				const failure = toCliError(error, { relayUrl: context.relayUrl });
				printError(failure);
				if (!worthAskingAgain(failure)) break;
			}
		}
	}
}
