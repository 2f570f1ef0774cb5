// Registration steps shared by `friendly register` and the interactive first run: request a code
// (showing it when the relay delivered it by `echo`, i.e. a development relay), then confirm it, which
// creates this profile's identity keys (once: an existing identity is reused), stores the account and
// publishes prekeys (protocol/messenger/registration.ts does the work). A requested code is remembered
// in the profile (pending-verification.json: number, relay, expiry — never the code) until it is used
// or expires, so `friendly register` run again after Ctrl-C asks for that code instead of a new one.

import {
	type AccountRecord,
	completeRegistration,
	loadPendingVerification,
	type PendingVerification,
	requestVerificationCode,
} from "../protocol/messenger/index.ts";
import type { CodeRequestResponse } from "../protocol/wire/index.ts";
import type { CliContext } from "./context.ts";
import { CliError } from "./errors.ts";
import { EXIT_CODES } from "./exit-codes.ts";
import { createPassphraseSealer, type OpenProfile, openProfile } from "./storage/index.ts";

export function deliveryText(response: CodeRequestResponse): string {
	switch (response.delivery) {
		case "echo":
			return "The relay delivered the code by echo (a development relay)";
		case "console":
			return "The relay wrote the code to its console log (ask its operator)";
		case "webhook":
			return `A code was sent to ${response.phone} by SMS`;
	}
}

/** Requests a code and remembers the request in the profile (replacing an earlier one). */
export async function requestCode(
	context: CliContext,
	profile: OpenProfile,
	phone: string,
): Promise<CodeRequestResponse> {
	return requestVerificationCode(context.relayUrl, phone, undefined, { account: profile.stores.account });
}

/** The code request still valid for this number at this relay, if there is one. */
export async function pendingCode(
	context: CliContext,
	profile: OpenProfile,
	phone: string,
): Promise<PendingVerification | null> {
	const pending = await loadPendingVerification(profile.stores.account);
	const relay = context.relayUrl.replace(/\/+$/, "");
	return pending && pending.phone === phone && pending.relayUrl === relay ? pending : null;
}

/** Whole seconds until `at` (0 once it has passed). */
export function secondsUntil(at: number): number {
	return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** "9 minutes" / "1 minute" / "40 seconds": how long a pending code still works. */
export function validityText(pending: PendingVerification): string {
	const seconds = secondsUntil(pending.expiresAt);
	if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
	const minutes = Math.floor(seconds / 60);
	return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** Opens the profile for registration: the lock, and a new passphrase if asked for (before any key exists). */
export async function openProfileForRegistration(
	context: CliContext,
	phone: string,
	withPassphrase: boolean,
): Promise<OpenProfile> {
	let profile = await context.openProfile(true);
	try {
		const account = await profile.stores.account.loadAccount();
		context.relayFor(account);
		if (account && account.phone !== phone) {
			throw new CliError(
				EXIT_CODES.usage,
				"profile_taken",
				`The profile "${context.profileName}" is already registered as ${account.phone}.`,
				"Use another profile for another number: --profile <name>.",
			);
		}
		if (withPassphrase && !profile.protected) {
			if (await profile.stores.identities.loadLocalIdentity()) {
				throw new CliError(
					EXIT_CODES.usage,
					"already_has_keys",
					"This profile already has keys; a passphrase can only be set when they are created.",
					"Register a new profile with --passphrase (friendly --profile <name> register <phone> --passphrase).",
				);
			}
			const passphrase = await context.passphrase("Choose a passphrase for this profile's keys: ");
			if (!context.io.env.FRIENDLY_PASSPHRASE && context.io.stdin.isTTY) {
				const again = await context.passphrase("Repeat the passphrase: ");
				if (again !== passphrase) {
					throw new CliError(
						EXIT_CODES.usage,
						"passphrase_mismatch",
						"The passphrases do not match.",
						"Try again.",
					);
				}
			}
			await profile.close();
			const sealer = await createPassphraseSealer(context.profileDirectory, passphrase);
			profile = await openProfile({
				name: context.profileName,
				directory: context.profileDirectory,
				lock: true,
				passphrase: async () => passphrase,
				sealer,
				...(context.serverOverride ? { relayOverride: context.serverOverride } : {}),
			});
		}
		return profile;
	} catch (error) {
		await profile.close();
		throw error;
	}
}

/** After a wrong code the user may try again while the code has checks left; other failures end it. */
export function worthAskingAgain(failure: CliError): boolean {
	return (
		failure.code === "invalid_code" ||
		(failure.code === "code_incorrect" && failure.details.attemptsLeft !== 0)
	);
}

export async function confirmCode(
	context: CliContext,
	profile: OpenProfile,
	phone: string,
	code: string,
): Promise<AccountRecord> {
	const trimmed = code.trim();
	if (!/^[0-9]{6}$/.test(trimmed)) {
		throw new CliError(
			EXIT_CODES.usage,
			"invalid_code",
			"A verification code is 6 digits.",
			"Enter the code exactly as you received it.",
		);
	}
	return completeRegistration({
		relayUrl: context.relayUrl,
		phone,
		code: trimmed,
		stores: profile.stores,
		extractable: true,
	});
}
