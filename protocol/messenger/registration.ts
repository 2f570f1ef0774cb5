// Registration by verification code (docs/PROTOCOL.md §Registration), shared by the CLI and the web
// app: request a code, then confirm it with this device's identity keys, store the account and
// publish prekeys. An identity already in the store is reused, so registering again on the same
// device is not a key change for contacts.
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
import { type AccountRecord, MESSENGER_STATE_VERSION, type MessengerStores } from "./stores.ts";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export function canonicalPhone(input: string): string {
	const result = normalisePhone(input);
	if (!result.ok) throw new MessengerError("invalid_phone", `Invalid phone number: ${result.reason}.`);
	return result.phone;
}

export async function requestVerificationCode(
	relayUrl: string,
	phone: string,
	fetchImpl?: FetchLike,
): Promise<CodeRequestResponse> {
	try {
		return await new RelayHttpClient(relayUrl, fetchImpl).requestCode(canonicalPhone(phone));
	} catch (error) {
		throw toMessengerError(error);
	}
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
		const context = createProtocolContext({ phone: registered.phone, stores: options.stores, clock });
		const upload = await prepareKeyUpload(context, await http.prekeyStatus(registered.token));
		if (upload) await http.uploadPrekeys(registered.token, upload);
		return account;
	} catch (error) {
		throw toMessengerError(error);
	}
}
