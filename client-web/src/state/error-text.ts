// Turns any failure into a sentence a person can act on: what happened and what to do next. Every code a
// user can meet (UserFacingCode) has its wording here; a code added to the set fails type checking until
// it has. The message that comes with a code is a technical detail, shown only where it says more.
import type { UserFacingCode } from "../../../protocol/messenger/codes.ts";
import { MessengerError } from "../../../protocol/messenger/errors.ts";
import { hoursText } from "../../../protocol/messenger/wait-text.ts";
import { StorageUnavailableError, WriteFenceError } from "../storage/index.ts";
import { TabLockLostError, WebLocksMissingError } from "./single-tab.ts";

function seconds(value: number | undefined): string {
	if (value === undefined) return "a little while";
	if (value < 90) return `${Math.max(1, Math.ceil(value))} seconds`;
	return `${Math.ceil(value / 60)} minutes`;
}

function withDetail(sentence: string, message: string): string {
	return message === "" ? sentence : `${sentence} (${message.replace(/\.$/, "")})`;
}

export function describeCode(
	code: UserFacingCode,
	message: string,
	details: { retryAfter?: number; attemptsLeft?: number; peer?: string } = {},
): string {
	switch (code) {
		case "invalid_phone":
			return `${message === "" ? "That phone number is not valid" : message.replace(/\.$/, "")}. Enter the number with + and the country code, for example +1 555 555 0100.`;
		case "code_incorrect":
			return details.attemptsLeft !== undefined
				? `That code is not right. ${details.attemptsLeft} ${details.attemptsLeft === 1 ? "try" : "tries"} left — check the code and try again.`
				: "That code is not right. Check the code and try again.";
		case "code_expired":
			return "This code has expired or was replaced by a newer one. Ask for a new code.";
		case "too_many_attempts":
			return "Too many wrong codes. Ask for a new code and try again.";
		case "rate_limited":
			return `Too many attempts for now. Wait ${seconds(details.retryAfter)} and try again.`;
		case "relay_unreachable":
			return "Cannot reach the FriendLy relay. Check your internet connection and try again.";
		case "connection_lost":
			return "The connection dropped before the relay confirmed this message. Check your connection and send it again.";
		case "mailbox_full":
			return "Their mailbox is full because they have been offline for a long time. Try again later; FriendLy tells you when there is room.";
		case "unknown_recipient":
		case "not_registered":
			return "This number is not on FriendLy yet. Check the number, or ask them to join.";
		case "too_large":
			return "This message is too long to send. Split it into shorter messages.";
		case "unauthenticated":
			return "The relay signed this browser out (the number was registered again elsewhere). Register again to keep chatting.";
		case "untrusted_identity":
			return "This contact's safety number changed. Compare it with them, then accept the new key to continue.";
		case "gone":
			return "Expired: the relay keeps files for 30 days. Ask the sender to send it again.";
		case "quota_exceeded":
			return `You have sent as many files today as this relay allows. The quota resets in ${hoursText(details.retryAfter) ?? seconds(details.retryAfter)}.`;
		case "attachment_damaged":
			return "Damaged: it does not match what was sent. Nothing was saved; ask the sender to send it again.";
		case "attachment_too_large":
			return message === "" ? "Too large for this relay." : message;
		case "delivery_failed":
			return "The relay could not send the verification code right now. Try again in a minute.";
		case "server_misconfigured":
		case "internal":
			return "The relay had a problem on its side. Try again in a minute; if it keeps happening, tell whoever runs it.";
		case "bad_request":
		case "bad_frame":
		case "not_found":
		case "forbidden_origin":
		case "invalid_signature":
		case "invalid_key":
		case "unknown_message":
		case "prekey_limit":
		case "length_required":
			return withDetail(
				"The relay refused the request. Reload the page to get the current FriendLy.",
				message,
			);
		case "bad_response":
			return "The relay sent an answer FriendLy does not understand. Reload the page and try again.";
		case "unsupported_protocol":
		case "unsupported_version":
			return "This contact's app or the relay runs a different FriendLy version. Reload this page to get the current FriendLy; if it still happens, ask your contact to update theirs.";
		case "invalid_argument":
			return message === "" ? "That did not work: check what you entered and try again." : message;
		case "malformed":
		case "bad_signature":
			return "A message failed its signature check and was discarded (possibly forged or corrupted).";
		case "decrypt_failed":
			return "A message could not be decrypted and was discarded (corrupted or not meant for you).";
		case "wrong_recipient":
			return "A message addressed to someone else was discarded.";
		case "duplicate":
			return "A message arrived twice; the copy was ignored.";
		case "no_session":
			return "There is no conversation with this contact on this browser yet. Start a chat first; if one of their messages was lost, ask them to send it again.";
		case "unknown_prekey":
		case "old_message":
		case "too_far_ahead":
			return "A message used a key this browser no longer has and was discarded. Ask the sender to send it again.";
		case "not_extractable":
		case "no_identity":
			return "This browser's FriendLy keys cannot be used. Register again to keep chatting.";
		case "not_delivered":
			return message === "" ? "Not delivered: their app could not show this message." : message;
		case "unsupported_content":
			return "A message in a format this version does not understand was skipped. Reload the page to update FriendLy.";
		case "resend_requested":
			return `A message from ${details.peer ?? "a contact"} could not be decrypted on this browser; their app was told and sends it again.`;
		case "invalid_name":
			return "A name is 1 to 64 characters, without control characters or line breaks.";
		case "backup_wrong_key":
			return "That recovery key does not open this backup; nothing was restored. Check the 30 characters you wrote down and try again.";
		case "backup_damaged":
			return "This backup file is damaged or was changed; nothing was restored. Use an intact copy.";
		case "backup_unsupported_version":
			return "This backup was made by a newer FriendLy; nothing was restored. Reload the page to update, then try again.";
		case "unknown_error":
			return message === "" ? "Something went wrong. Reload the page and try again." : message;
		default:
			// A code from storage written by another version: the stored message is all we have.
			code satisfies never;
			return message;
	}
}

export function describeError(error: unknown): string {
	if (error instanceof MessengerError) {
		return describeCode(error.code, error.message, {
			...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
			...(error.attemptsLeft !== undefined ? { attemptsLeft: error.attemptsLeft } : {}),
		});
	}
	if (error instanceof StorageUnavailableError) {
		return `${error.message} FriendLy keeps your keys in the browser's storage: use a normal (not private) window of a current browser.`;
	}
	if (error instanceof TabLockLostError || error instanceof WriteFenceError) {
		return "FriendLy moved to another tab, so this tab stopped: nothing was sent or changed from here.";
	}
	if (error instanceof WebLocksMissingError) return error.message;
	if (error instanceof DOMException && error.name === "QuotaExceededError") {
		return "The browser has no room left to store messages. Free some disk space, then reload.";
	}
	return "Something went wrong. Reload the page and try again.";
}
