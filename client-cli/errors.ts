// CliError: every failure the CLI reports, with the exit code (exit-codes.ts), a stable machine code
// (`code`, printed with --json), a message saying what happened and a hint saying what to do. Errors
// from the messenger core, the relay client and the protocol library are translated here, in one
// place, so every command words the same situation the same way.
import { RelayRequestError } from "../protocol/client/index.ts";
import {
	hoursText,
	MessengerError,
	toMessengerError,
	type UserFacingCode,
} from "../protocol/messenger/index.ts";
import { ProtocolError } from "../protocol/session/index.ts";
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
	code: UserFacingCode;
	message: string;
	retryAfter?: number;
	attemptsLeft?: number;
	/** A text over the limit: its length in characters. */
	textLength?: number;
}

function codedError(error: unknown): CodedError | undefined {
	if (
		!(error instanceof MessengerError) &&
		!(error instanceof RelayRequestError) &&
		!(error instanceof ProtocolError)
	)
		return undefined;
	const failure = toMessengerError(error);
	return {
		code: failure.code,
		message: failure.message,
		...(failure.retryAfter !== undefined ? { retryAfter: failure.retryAfter } : {}),
		...(failure.attemptsLeft !== undefined ? { attemptsLeft: failure.attemptsLeft } : {}),
		...(failure.textLength !== undefined ? { textLength: failure.textLength } : {}),
	};
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

/** ": detail" when there is one. */
function detail(message: string): string {
	return message === "" ? "" : `: ${message.replace(/\.$/, "")}`;
}

/** Translates any error into a CliError (unknown errors become `failure` with their message). */
export function toCliError(error: unknown, context: ErrorContext): CliError {
	if (error instanceof CliError) return error;
	const coded = codedError(error);
	if (coded) return describeFailure(coded, context);
	if (error instanceof Error && "code" in error && typeof error.code === "string") {
		return new CliError(EXIT_CODES.failure, error.code, error.message);
	}
	const message = error instanceof Error ? error.message : String(error);
	return new CliError(EXIT_CODES.failure, "internal", `Unexpected error: ${message}`);
}

/** The words for a `problem` event (something that happened to an incoming message or in the background). */
export function problemText(code: UserFacingCode, message: string, context: ErrorContext): string {
	return describeFailure({ code, message }, context).message;
}

/** The CLI's words for every code a user can meet: a missing case fails type checking. */
export function describeFailure(coded: CodedError, context: ErrorContext): CliError {
	const peer = context.peer ?? "the recipient";
	const code = coded.code;
	switch (code) {
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
			return new CliError(
				EXIT_CODES.usage,
				"invalid_argument",
				coded.message === "" ? "That is not a valid argument." : coded.message,
				"See friendly --help.",
			);
		case "too_large":
			// A text over the one limit (MAX_TEXT_CHARS), in the messenger's words; any text within it fits
			// the relay, so "too large for the relay" is left for a relay configured below the default.
			return coded.textLength !== undefined
				? new CliError(EXIT_CODES.usage, "too_large", coded.message, "Split it into several messages.", {
						length: coded.textLength,
					})
				: new CliError(
						EXIT_CODES.usage,
						"too_large",
						"The message is too large for this relay (its ENVELOPE_MAX_BYTES is below the default).",
						"Send a shorter message, or ask the relay's operator.",
					);
		case "gone":
			return new CliError(
				EXIT_CODES.failure,
				"gone",
				"The file has expired: the relay keeps files for 30 days. Nothing was saved.",
				"Ask the sender to send it again.",
			);
		case "quota_exceeded":
			return new CliError(
				EXIT_CODES.rateLimited,
				"quota_exceeded",
				`You have sent as many files today as this relay allows${detail(coded.message)}.`,
				`The quota resets in ${hoursText(coded.retryAfter) ?? seconds(coded.retryAfter)} (at midnight UTC).`,
				coded.retryAfter === undefined ? {} : { retryAfter: coded.retryAfter },
			);
		case "attachment_damaged":
			return new CliError(
				EXIT_CODES.failure,
				"attachment_damaged",
				"The file is damaged: it does not match what was sent. Nothing was saved.",
				"Ask the sender to send it again.",
			);
		case "attachment_too_large":
			return new CliError(
				EXIT_CODES.usage,
				"attachment_too_large",
				coded.message === "" ? "The file is too large for this relay." : coded.message,
				"Send a smaller file (or split it).",
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
				"Update FriendLy (git pull && npm install); if you are current, your contact's app is out of date: ask them to update.",
			);
		case "bad_request":
		case "bad_frame":
		case "not_found":
		case "forbidden_origin":
		case "invalid_signature":
		case "invalid_key":
		case "unknown_message":
		case "prekey_limit":
		case "length_required":
			return new CliError(
				EXIT_CODES.failure,
				code,
				`The relay refused the request${detail(coded.message)}.`,
				"Update FriendLy (git pull && npm install); if it keeps happening, report it.",
			);
		case "bad_response":
			return new CliError(
				EXIT_CODES.failure,
				code,
				`The relay at ${context.relayUrl} sent an answer FriendLy does not understand${detail(coded.message)}.`,
				"Check that the --server URL points at a FriendLy relay.",
			);
		case "server_misconfigured":
		case "internal":
			return new CliError(
				EXIT_CODES.failure,
				code,
				`The relay at ${context.relayUrl} had a problem on its side${detail(coded.message)}.`,
				"Try again in a minute; if it keeps failing, tell the relay's operator.",
			);
		case "malformed":
		case "bad_signature":
			return new CliError(
				EXIT_CODES.failure,
				code,
				"A message failed its signature check and was discarded (possibly forged or corrupted).",
			);
		case "decrypt_failed":
			return new CliError(
				EXIT_CODES.failure,
				code,
				"A message could not be decrypted and was discarded (corrupted or not meant for you).",
			);
		case "wrong_recipient":
			return new CliError(EXIT_CODES.failure, code, "A message addressed to someone else was discarded.");
		case "duplicate":
			return new CliError(EXIT_CODES.failure, code, "A message arrived twice; the copy was ignored.");
		case "no_session":
			return new CliError(
				EXIT_CODES.failure,
				code,
				`This device has no conversation with ${peer} for that${detail(coded.message)}.`,
				"Start a chat with them first; if one of their messages was lost, ask them to send it again.",
			);
		case "unknown_prekey":
		case "old_message":
		case "too_far_ahead":
			return new CliError(
				EXIT_CODES.failure,
				code,
				"A message used a key this device no longer has and was discarded.",
				"Ask the sender to send it again.",
			);
		case "not_extractable":
		case "no_identity":
			return new CliError(
				EXIT_CODES.failure,
				code,
				`This profile's identity keys cannot be used${detail(coded.message)}.`,
				"Register this profile again with `friendly register <phone>`.",
			);
		case "not_delivered":
			return new CliError(
				EXIT_CODES.failure,
				code,
				coded.message === "" ? `Not delivered: ${peer}'s app could not show the message.` : coded.message,
			);
		case "unsupported_content":
			return new CliError(
				EXIT_CODES.failure,
				code,
				"A message in a format this version does not understand was skipped.",
				"Update FriendLy (git pull && npm install); if you are current, your contact's app is out of date: ask them to update.",
			);
		case "resend_requested":
			return new CliError(
				EXIT_CODES.failure,
				code,
				`A message from ${peer} could not be decrypted on this device; their app was told and sends it again.`,
			);
		case "invalid_name":
			return new CliError(
				EXIT_CODES.usage,
				code,
				"A name is 1 to 64 characters, without control characters or line breaks.",
				"Pick a shorter name, or clear it with: friendly name <phone> --clear",
			);
		case "backup_wrong_key":
			return new CliError(
				EXIT_CODES.usage,
				code,
				coded.message || "That recovery key does not open this backup; nothing was restored.",
				"Give the 30-character recovery key shown when the backup was made (FRIENDLY_RECOVERY_KEY or when asked).",
			);
		case "backup_damaged":
			return new CliError(
				EXIT_CODES.failure,
				code,
				coded.message || "This backup file is damaged or was changed; nothing was restored.",
				"Use an intact copy of the backup.",
			);
		case "backup_unsupported_version":
			return new CliError(
				EXIT_CODES.failure,
				code,
				coded.message || "This backup was made by a newer FriendLy; nothing was restored.",
				"Update FriendLy (git pull && npm install), then restore again.",
			);
		case "unknown_error":
			return new CliError(
				EXIT_CODES.failure,
				code,
				coded.message === "" ? "Something went wrong." : coded.message,
			);
		default:
			return code satisfies never;
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
