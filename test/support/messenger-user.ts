// A registered FriendLy user for Node-side tests: the shared Messenger on in-memory stores, talking to
// a real relay over real HTTP and WebSockets, with its events recorded for assertions.
import {
	completeRegistration,
	createMemoryMessengerStores,
	Messenger,
	type MessengerEvent,
	type MessengerStores,
	requestVerificationCode,
} from "../../protocol/messenger/index.ts";

export interface TestUser {
	phone: string;
	messenger: Messenger;
	stores: MessengerStores;
	events: MessengerEvent[];
	/** Waits until `predicate` holds for the recorded events (10 s). */
	until(predicate: (events: MessengerEvent[]) => boolean, what: string): Promise<void>;
}

export async function registerUser(
	relayUrl: string,
	phone: string,
	stores = createMemoryMessengerStores(),
): Promise<TestUser> {
	const requested = await requestVerificationCode(relayUrl, phone);
	if (!requested.code) throw new Error("the test relay must use echo delivery");
	await completeRegistration({ relayUrl, phone, code: requested.code, stores, extractable: false });
	const events: MessengerEvent[] = [];
	const waiters = new Set<() => void>();
	const messenger = await Messenger.open({
		stores,
		onEvent: (event) => {
			events.push(event);
			for (const wake of waiters) wake();
		},
	});
	const until = async (predicate: (events: MessengerEvent[]) => boolean, what: string) => {
		const deadline = Date.now() + 10_000;
		while (!predicate(events)) {
			if (Date.now() > deadline)
				throw new Error(
					`timed out waiting for ${what}; events: ${JSON.stringify(events.map((e) => e.type))}`,
				);
			await new Promise<void>((resolve) => {
				const wake = () => {
					waiters.delete(wake);
					resolve();
				};
				waiters.add(wake);
				setTimeout(wake, 100);
			});
		}
	};
	return { phone: messenger.phone, messenger, stores, events, until };
}

export function received(events: MessengerEvent[]): string[] {
	return events.flatMap((event) => (event.type === "message" ? [event.entry.text] : []));
}
