// Registration by verification code (docs/PROTOCOL.md §Registration), shared by the CLI and the web
// app: request a code, then confirm it with this device's identity keys, store the account and
// publish prekeys. An identity already in the store is reused, so registering again on the same
// device is not a key change for contacts. A requested code is remembered (PendingVerification in the
// account store) until it is used or expires, so a restarted client asks for that code instead of a
// new one the relay would refuse for a while.
import { RelayHttpClient } from "../client/index.ts";
import {
	type Clock,
	createLocalIdentity,
	createProtocolContext,
	prepareKeyUpload,
	publicIdentity,
	systemClock,
} from "../session/index.ts";
import { type CodeRequestResponse, normalisePhone } from "../wire/index.ts";
import { MessengerError, toMessengerError } from "./errors.ts";
import {
	type AccountRecord,
	type AccountStore,
	MESSENGER_STATE_VERSION,
	type MessengerStores,
	type PendingVerification,
} from "./stores.ts";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export function canonicalPhone(input: string): string {
	const result = normalisePhone(input);
	if (!result.ok) throw new MessengerError("invalid_phone", `Invalid phone number: ${result.reason}.`);
	return result.phone;
}

/** Where to remember a requested code (the account store) and the clock to date it with. */
export interface RememberCodeOptions {
	account: AccountStore;
	clock?: Clock;
}

/**
 * Asks the relay to send a verification code. With `remember`, the request is stored as the pending
 * verification (replacing an earlier one), so a restarted client can ask for this code.
 */
export async function requestVerificationCode(
	relayUrl: string,
	phone: string,
	fetchImpl?: FetchLike,
	remember?: RememberCodeOptions,
): Promise<CodeRequestResponse> {
	try {
		const http = new RelayHttpClient(relayUrl, fetchImpl);
		const response = await http.requestCode(canonicalPhone(phone));
		if (remember) {
			const now = (remember.clock ?? systemClock).now();
			await remember.account.storePendingVerification({
				v: MESSENGER_STATE_VERSION,
				phone: response.phone,
				relayUrl: http.baseUrl,
				expiresAt: now + response.expiresIn * 1000,
				resendAt: now + response.resendAfter * 1000,
			});
		}
		return response;
	} catch (error) {
		throw toMessengerError(error);
	}
}

/** The pending verification, or null when there is none or its code has expired (then it is forgotten). */
export async function loadPendingVerification(
	account: AccountStore,
	clock: Clock = systemClock,
): Promise<PendingVerification | null> {
	const pending = await account.loadPendingVerification();
	if (!pending) return null;
	if (pending.expiresAt <= clock.now()) {
		await account.storePendingVerification(null);
		return null;
	}
	return pending;
}

export interface RegistrationOptions {
	relayUrl: string;
	phone: string;
	code: string;
	stores: MessengerStores;
	/** Browsers pass false (keys stay non-extractable in IndexedDB); the CLI passes true to write them to disk. */
	extractable: boolean;
	clock?: Clock;
	fetch?: FetchLike;
}

export async function completeRegistration(options: RegistrationOptions): Promise<AccountRecord> {
	const phone = canonicalPhone(options.phone);
	const clock = options.clock ?? systemClock;
	const http = new RelayHttpClient(options.relayUrl, options.fetch);
	try {
		let identity = await options.stores.identities.loadLocalIdentity();
		if (!identity) {
			identity = await createLocalIdentity({ extractable: options.extractable, clock });
			await options.stores.identities.storeLocalIdentity(identity);
		}
		const registered = await http.confirmCode(phone, options.code.trim(), publicIdentity(identity));
		const account: AccountRecord = {
			v: MESSENGER_STATE_VERSION,
			phone: registered.phone,
			token: registered.token,
			relayUrl: http.baseUrl,
			registeredAt: clock.now(),
		};
		await options.stores.account.storeAccount(account);
		await options.stores.account.storePendingVerification(null);
		const context = createProtocolContext({ phone: registered.phone, stores: options.stores, clock });
		const upload = await prepareKeyUpload(context, await http.prekeyStatus(registered.token));
		if (upload) await http.uploadPrekeys(registered.token, upload);
		return account;
	} catch (error) {
		throw toMessengerError(error);
	}
}
