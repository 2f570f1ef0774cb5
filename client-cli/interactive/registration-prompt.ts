// Registration in the interactive client. First run on an unregistered profile: ask for the phone
// number, request a code (showing it when the relay delivered it by echo), ask for the code (again
// while tries are left), register and publish keys; every error is printed with what to do, then the
// question is asked again; end of input cancels. Registering again (the relay ended this install's
// session: the number was registered elsewhere, or the token was revoked): the same code questions
// for the profile's own number; the install keeps its identity keys (registration reuses them), so
// contacts who pinned them see no change.
import type { AccountRecord } from "../../protocol/messenger/index.ts";
import type { CliContext } from "../context.ts";
import { toCliError } from "../errors.ts";
import { confirmCode, deliveryText, requestCode, worthAskingAgain } from "../registration.ts";
import type { OpenProfile } from "../storage/index.ts";
import type { LineReader } from "./line-reader.ts";

export interface PromptIo {
	reader: LineReader;
	print: (line: string) => void;
	printError: (error: unknown) => void;
}

export type CodeOutcome =
	| { kind: "registered"; account: AccountRecord }
	/** The code cannot be used any more (expired, used up) or the relay refused: start over. */
	| { kind: "failed" }
	/** End of input. */
	| { kind: "cancelled" };

export async function registerInteractively(
	context: CliContext,
	profile: OpenProfile,
	io: PromptIo,
): Promise<AccountRecord | undefined> {
	const { reader, print, printError } = io;
	print(`Welcome to FriendLy. This profile (${context.profileName}) is not registered yet.`);
	for (;;) {
		const phoneInput = await reader.ask("Your phone number (+ and country code): ");
		if (phoneInput === null) return undefined;
		if (phoneInput.trim() === "") continue;
		let phone: string;
		try {
			phone = context.phone(phoneInput);
		} catch (error) {
			printError(error);
			continue;
		}
		const outcome = await requestAndConfirm(context, profile, io, phone);
		if (outcome.kind === "registered") return outcome.account;
		if (outcome.kind === "cancelled") return undefined;
	}
}

/**
 * Registers this install's number again (after the relay ended its session), keeping its identity
 * keys and contacts. One code request; the code is asked for again while it has tries left.
 */
export async function registerAgainInteractively(
	context: CliContext,
	profile: OpenProfile,
	io: PromptIo,
	phone: string,
): Promise<CodeOutcome> {
	io.print(
		`Registering ${phone} again on this install: it keeps its identity keys and contacts, so their safety numbers stay the same.`,
	);
	return requestAndConfirm(context, profile, io, phone);
}

async function requestAndConfirm(
	context: CliContext,
	profile: OpenProfile,
	io: PromptIo,
	phone: string,
): Promise<CodeOutcome> {
	const { reader, print, printError } = io;
	const { style } = context.output;
	let echoed: string | undefined;
	try {
		const requested = await requestCode(context, phone);
		echoed = requested.code;
		print(`${deliveryText(requested)}${echoed ? `: ${style.bold(echoed)}` : "."}`);
	} catch (error) {
		printError(error);
		return { kind: "failed" };
	}
	for (;;) {
		const answer = await reader.ask(
			echoed ? "Verification code (Enter to use the one shown): " : "Verification code: ",
		);
		if (answer === null) return { kind: "cancelled" };
		const code = answer.trim() === "" && echoed ? echoed : answer.trim();
		try {
			const account = await confirmCode(context, profile, phone, code);
			print(`${style.green("Registered")} ${account.phone}; your keys are published.`);
			return { kind: "registered", account };
		} catch (error) {
			const failure = toCliError(error, { relayUrl: context.relayUrl });
			printError(failure);
			if (!worthAskingAgain(failure)) return { kind: "failed" };
		}
	}
}
