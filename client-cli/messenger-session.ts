// Opens a registered profile's messenger for commands that talk to the relay: lock the profile, load
// the account (not registered → exit 4), check the relay answers (→ exit 3), and close it all cleanly
// (stop the connection, release the lock) whatever happens. Also: whether the relay still accepts the
// stored session token, so the interactive client can go straight to registering again.
import { RelayHttpClient, RelayRequestError } from "../protocol/client/index.ts";
import { type AccountRecord, Messenger, type MessengerEvent } from "../protocol/messenger/index.ts";
import type { CliContext } from "./context.ts";
import { notRegisteredError } from "./errors.ts";
import { checkRelayReachable } from "./relay-check.ts";
import type { OpenProfile } from "./storage/index.ts";

export interface MessengerSession {
	readonly messenger: Messenger;
	readonly profile: OpenProfile;
	readonly relayUrl: string;
	close(): Promise<void>;
}

export interface OpenSessionOptions {
	onEvent: (event: MessengerEvent) => void;
	/** Check reachability first (one-shot commands); the interactive prompt keeps retrying instead. */
	requireRelay: boolean;
}

export async function openMessengerSession(
	context: CliContext,
	options: OpenSessionOptions,
): Promise<MessengerSession> {
	const profile = await context.openProfile(true);
	try {
		const account = await profile.stores.account.loadAccount();
		const relayUrl = context.relayFor(account);
		if (!account) throw notRegisteredError(relayUrl, context.profileName);
		if (options.requireRelay) await checkRelayReachable(relayUrl);
		const messenger = await Messenger.open({
			stores: profile.stores,
			onEvent: options.onEvent,
		});
		let closed = false;
		return {
			messenger,
			profile,
			relayUrl,
			close: async () => {
				if (closed) return;
				closed = true;
				// Automatic re-sends started by this run (after a delivery notice) finish first: each is
				// bounded by the send timeout, and one cut short would wait for the next run.
				await messenger.settled();
				messenger.stop();
				await profile.close();
			},
		};
	} catch (error) {
		await profile.close();
		throw error;
	}
}

const SESSION_CHECK_TIMEOUT_MS = 5_000;

/**
 * True when the relay refuses this account's session token (`unauthenticated`: the number was
 * registered on another device, or the session was signed out). Any other outcome — accepted, relay
 * unreachable or slow — is false: the connection then reports what happens.
 */
export async function sessionRefused(account: AccountRecord): Promise<boolean> {
	const http = new RelayHttpClient(account.relayUrl, (input, init) =>
		fetch(input, { ...init, signal: AbortSignal.timeout(SESSION_CHECK_TIMEOUT_MS) }),
	);
	try {
		await http.prekeyStatus(account.token);
		return false;
	} catch (error) {
		return error instanceof RelayRequestError && error.code === "unauthenticated";
	}
}
