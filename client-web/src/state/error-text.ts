// Turns any failure into a sentence a person can act on: what happened and what to do next. The relay's
// and the messenger's messages already say that for most codes; the ones people meet most often get
// wording written for this app.
import { MessengerError } from "../../../protocol/messenger/errors.ts";
import { StorageUnavailableError, WriteFenceError } from "../storage/index.ts";
import { TabLockLostError, WebLocksMissingError } from "./single-tab.ts";

function seconds(value: number | undefined): string {
	if (value === undefined) return "a little while";
	if (value < 90) return `${Math.max(1, Math.ceil(value))} seconds`;
	return `${Math.ceil(value / 60)} minutes`;
}

export function describeCode(
	code: string,
	message: string,
	details: { retryAfter?: number; attemptsLeft?: number } = {},
): string {
	switch (code) {
		case "invalid_phone":
			return `${message.replace(/\.$/, "")}. Enter the number with + and the country code, for example +1 555 555 0100.`;
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
		case "delivery_failed":
			return "The relay could not send the verification code right now. Try again in a minute.";
		case "server_misconfigured":
		case "internal":
			return "The relay had a problem on its side. Try again in a minute; if it keeps happening, tell whoever runs it.";
		default:
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
