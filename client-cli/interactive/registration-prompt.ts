// Registration in the interactive client. First run on an unregistered profile: ask for the phone
// number, request a code (showing it when the relay delivered it by echo), ask for the code (again
// while tries are left), register and publish keys; every error is printed with what to do, then the
// question is asked again; end of input cancels. Registering again (the relay ended this install's
// session: the number was registered elsewhere, or the token was revoked): the same code questions
// for the profile's own number; the install keeps its identity keys (registration reuses them), so
// contacts who pinned them see no change.
// A code requested earlier and still valid (pending verification, kept in the profile) is not requested
// again: the question asks for that code ("I already have a code"), and `new` sends a new one once the
// relay allows it — the prompt counts down the seconds until then.
import {
	type AccountRecord,
	loadPendingVerification,
	type PendingVerification,
} from "../../protocol/messenger/index.ts";
import type { CliContext } from "../context.ts";
import { type CliError, toCliError } from "../errors.ts";
import {
	confirmCode,
	deliveryText,
	pendingCode,
	requestCode,
	secondsUntil,
	validityText,
	worthAskingAgain,
} from "../registration.ts";
import type { OpenProfile } from "../storage/index.ts";
import type { LineReader } from "./line-reader.ts";

export interface PromptIo {
	reader: LineReader;
	print: (line: string) => void;
	printError: (error: unknown) => void;
}

export type CodeOutcome =
	| { kind: "registered"; account: AccountRecord }
	/** The code cannot be used any more (expired, used up) or the relay refused: start over (`error` not printed yet). */
	| { kind: "failed"; error: CliError }
	/** End of input. */
	| { kind: "cancelled" };

export async function registerInteractively(
	context: CliContext,
	profile: OpenProfile,
	io: PromptIo,
): Promise<AccountRecord | undefined> {
	const { reader, print, printError } = io;
	print(`Welcome to FriendLy. This profile (${context.profileName}) is not registered yet.`);
	// A registration left at the code question (Ctrl-C, end of input) goes on where it stopped.
	const pending = await loadPendingVerification(profile.stores.account);
	if (pending && pending.relayUrl === context.relayUrl.replace(/\/+$/, "")) {
		const outcome = await requestAndConfirm(context, profile, io, pending.phone);
		if (outcome.kind === "registered") return outcome.account;
		if (outcome.kind === "cancelled") return undefined;
		printError(outcome.error);
	}
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
		printError(outcome.error);
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
	const outcome = await requestAndConfirm(context, profile, io, phone);
	if (outcome.kind === "failed") io.printError(outcome.error);
	return outcome;
}

/** The words typed at the code question to ask for a new code. */
const NEW_CODE_WORDS = new Set(["new", "n", "resend"]);

/**
 * Asks for the verification code of `phone` until it is confirmed, can no longer work, or input ends.
 * A valid code requested earlier is used instead of requesting one; `new` requests a new one once the
 * relay allows it.
 */
export async function requestAndConfirm(
	context: CliContext,
	profile: OpenProfile,
	io: PromptIo,
	phone: string,
	options: { quiet?: boolean } = {},
): Promise<CodeOutcome> {
	const { reader, print, printError } = io;
	const { style } = context.output;
	let echoed: string | undefined;
	let pending = await pendingCode(context, profile, phone);
	const request = async (): Promise<CliError | undefined> => {
		try {
			const requested = await requestCode(context, profile, phone);
			echoed = requested.code;
			pending = await pendingCode(context, profile, phone);
			print(`${deliveryText(requested)}${echoed ? `: ${style.bold(echoed)}` : "."}`);
			return undefined;
		} catch (error) {
			return toCliError(error, { relayUrl: context.relayUrl });
		}
	};
	if (pending) {
		print(
			`A code for ${phone} was already sent and works for ${validityText(pending)} more: enter it (I already have a code).`,
		);
	} else {
		const failure = await request();
		if (failure) return { kind: "failed", error: failure };
	}
	for (;;) {
		const answer = await reader.ask(codeQuestion(echoed, pending));
		if (answer === null) return { kind: "cancelled" };
		if (NEW_CODE_WORDS.has(answer.trim().toLowerCase())) {
			const wait = pending ? secondsUntil(pending.resendAt) : 0;
			if (wait > 0) {
				print(`A new code can be sent in ${wait} s; until then, enter the code you have.`);
				continue;
			}
			// A refused request (e.g. rate limited) leaves the earlier code usable: say why and ask again.
			const failure = await request();
			if (failure) printError(failure);
			continue;
		}
		const code = answer.trim() === "" && echoed ? echoed : answer.trim();
		try {
			const account = await confirmCode(context, profile, phone, code);
			// `friendly register` says it itself, as its result.
			if (!options.quiet) print(`${style.green("Registered")} ${account.phone}; your keys are published.`);
			return { kind: "registered", account };
		} catch (error) {
			const failure = toCliError(error, { relayUrl: context.relayUrl });
			if (!worthAskingAgain(failure)) {
				// A code that cannot work any more is forgotten, so the next start requests a new one.
				if (failure.code === "code_expired" || failure.code === "too_many_attempts")
					await profile.stores.account.storePendingVerification(null);
				return { kind: "failed", error: failure };
			}
			printError(failure);
		}
	}
}

/** "Verification code (… · new: send a new code in 42 s): " — the countdown as of asking. */
function codeQuestion(echoed: string | undefined, pending: PendingVerification | null): string {
	const wait = pending ? secondsUntil(pending.resendAt) : 0;
	const renew = wait > 0 ? `"new": send a new code in ${wait} s` : `"new": send a new code`;
	return echoed
		? `Verification code (Enter to use the one shown · ${renew}): `
		: `Verification code (I already have a code: type it · ${renew}): `;
}
