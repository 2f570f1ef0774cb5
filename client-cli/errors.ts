// CliError: every failure the CLI reports, with the exit code (exit-codes.ts), a stable machine code
// (`code`, printed with --json), a message saying what happened and a hint saying what to do. Errors
// from the messenger core, the relay client and the protocol library are translated here, in one
// place, so every command words the same situation the same way.
import { EXIT_CODES, type ExitCode } from "./exit-codes.ts";

export class CliError extends Error {
	override readonly name = "CliError";
	constructor(
		readonly exitCode: ExitCode,
		readonly code: string,
		message: string,
		readonly hint?: string,
		readonly details: Readonly<Record<string, string | number | boolean>> = {},
	) {
		super(message);
	}
}

/** What an error from below (MessengerError, RelayRequestError, ProtocolError) carries that we use. */
interface CodedError {
	code: string;
	message: string;
	retryAfter?: number;
	attemptsLeft?: number;
}

function codedError(error: unknown): CodedError | undefined {
	if (!(error instanceof Error) || !("code" in error) || typeof error.code !== "string") return undefined;
	const out: CodedError = { code: error.code, message: error.message };
	if ("retryAfter" in error && typeof error.retryAfter === "number") out.retryAfter = error.retryAfter;
	if ("attemptsLeft" in error && typeof error.attemptsLeft === "number")
		out.attemptsLeft = error.attemptsLeft;
	if ("details" in error && typeof error.details === "object" && error.details !== null) {
		const details = error.details;
		if ("retryAfter" in details && typeof details.retryAfter === "number")
			out.retryAfter = details.retryAfter;
		if ("attemptsLeft" in details && typeof details.attemptsLeft === "number")
			out.attemptsLeft = details.attemptsLeft;
	}
	return out;
}

/** Where the error happened changes what some codes mean (relay `not_registered` is about the peer in a send). */
export interface ErrorContext {
	relayUrl: string;
	/** The contact the operation was about, if any. */
	peer?: string;
}

function seconds(value: number | undefined): string {
	if (value === undefined) return "a moment";
	return value === 1 ? "1 second" : `${Math.ceil(value)} seconds`;
}

/** Translates any error into a CliError (unknown errors become `failure` with their message). */
export function toCliError(error: unknown, context: ErrorContext): CliError {
	if (error instanceof CliError) return error;
	const coded = codedError(error);
	if (!coded) {
		const message = error instanceof Error ? error.message : String(error);
		return new CliError(EXIT_CODES.failure, "internal", `Unexpected error: ${message}`);
	}
	const peer = context.peer ?? "the recipient";
	switch (coded.code) {
		case "relay_unreachable":
		case "connection_lost":
			return new CliError(
				EXIT_CODES.serverUnreachable,
				coded.code,
				coded.message.startsWith("Cannot reach")
					? `Server unreachable at ${context.relayUrl}.`
					: `Server unreachable at ${context.relayUrl}: ${coded.message}`,
				"Check that the relay is running (npm start) and the --server URL, then try again.",
				{ relayUrl: context.relayUrl },
			);
		case "not_registered":
		case "unknown_recipient":
			if (context.peer) {
				return new CliError(
					EXIT_CODES.unknownRecipient,
					"unknown_recipient",
					`${peer} is not registered with FriendLy at ${context.relayUrl}.`,
					"Check the number; they have to run `friendly register` first.",
				);
			}
			return notRegisteredError(context.relayUrl);
		case "unauthenticated":
			return new CliError(
				EXIT_CODES.notRegistered,
				"unauthenticated",
				`The relay at ${context.relayUrl} no longer accepts this profile's session (signed out, or the number registered again elsewhere).`,
				"Register this install again with `friendly register <phone>`: it keeps this profile's identity keys and contacts.",
			);
		case "mailbox_full":
			return new CliError(
				EXIT_CODES.mailboxFull,
				"mailbox_full",
				`${capitalise(peer)}'s mailbox is full; nothing was sent.`,
				"Try later: the mailbox frees up when they come online.",
			);
		case "untrusted_identity":
			return new CliError(
				EXIT_CODES.untrustedIdentity,
				"untrusted_identity",
				`The safety number with ${peer} changed: their identity key is not the one you trusted. Nothing was sent.`,
				`Compare safety numbers with them (friendly verify ${context.peer ?? "<phone>"}), then accept the new key with \`friendly verify ${context.peer ?? "<phone>"} --accept\`.`,
			);
		case "rate_limited":
			return new CliError(
				EXIT_CODES.rateLimited,
				"rate_limited",
				`The relay asked to slow down: too many requests.`,
				`Wait ${seconds(coded.retryAfter)} and try again.`,
				coded.retryAfter === undefined ? {} : { retryAfter: coded.retryAfter },
			);
		case "code_incorrect": {
			const left = coded.attemptsLeft;
			return new CliError(
				EXIT_CODES.verificationFailed,
				"code_incorrect",
				left === undefined
					? "The verification code is wrong."
					: `The verification code is wrong — ${left} ${left === 1 ? "try" : "tries"} left.`,
				left === 0
					? "Request a new code with `friendly register <phone>`."
					: "Check the code and enter it again.",
				left === undefined ? {} : { attemptsLeft: left },
			);
		}
		case "code_expired":
			return new CliError(
				EXIT_CODES.verificationFailed,
				"code_expired",
				"There is no valid verification code for this number (never requested, expired, or already used).",
				"Request a new code with `friendly register <phone>`.",
			);
		case "too_many_attempts":
			return new CliError(
				EXIT_CODES.verificationFailed,
				"too_many_attempts",
				"Too many wrong codes: this verification code no longer works.",
				"Request a new code with `friendly register <phone>`.",
			);
		case "invalid_phone":
			return new CliError(
				EXIT_CODES.usage,
				"invalid_phone",
				`Phone number invalid: ${coded.message}`,
				"Use + and the country code, e.g. +1 555 555 0100.",
			);
		case "invalid_argument":
			return new CliError(EXIT_CODES.usage, "invalid_argument", coded.message, "See friendly --help.");
		case "too_large":
			return new CliError(
				EXIT_CODES.usage,
				"too_large",
				"The message is too large for the relay.",
				"Send a shorter message.",
			);
		case "delivery_failed":
			return new CliError(
				EXIT_CODES.failure,
				"delivery_failed",
				"The relay could not deliver the verification code.",
				"Try again in a minute; if it keeps failing, tell the relay's operator.",
			);
		case "unsupported_protocol":
		case "unsupported_version":
			return new CliError(
				EXIT_CODES.failure,
				coded.code,
				`Version mismatch: ${coded.message}`,
				"Update FriendLy (git pull && npm install).",
			);
		default:
			return new CliError(EXIT_CODES.failure, coded.code, coded.message);
	}
}

export function notRegisteredError(relayUrl: string, profile?: string): CliError {
	return new CliError(
		EXIT_CODES.notRegistered,
		"not_registered",
		`This profile${profile ? ` (${profile})` : ""} is not registered with ${relayUrl}.`,
		`Run \`friendly${profile && profile !== "default" ? ` --profile ${profile}` : ""} register <phone>\` first.`,
	);
}

export function invalidPhoneError(reason: string): CliError {
	return new CliError(
		EXIT_CODES.usage,
		"invalid_phone",
		`Phone number invalid: ${reason}.`,
		"Use + and the country code, e.g. +1 555 555 0100.",
	);
}

function capitalise(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}
