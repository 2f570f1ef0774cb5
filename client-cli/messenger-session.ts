// Opens a registered profile's messenger for commands that talk to the relay: lock the profile, load
// the account (not registered → exit 4), check the relay answers (→ exit 3), and close it all cleanly
// (stop the connection, release the lock) whatever happens.
import { Messenger, type MessengerEvent } from "../protocol/messenger/index.ts";
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
				messenger.stop();
				await profile.close();
			},
		};
	} catch (error) {
		await profile.close();
		throw error;
	}
}
