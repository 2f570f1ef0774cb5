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
import { createEventLog } from "./event-log.ts";

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
	const log = createEventLog(10_000, 100);
	const messenger = await Messenger.open({ stores, onEvent: log.record });
	return { phone: messenger.phone, messenger, stores, events: log.events, until: log.until };
}

export function received(events: MessengerEvent[]): string[] {
	return events.flatMap((event) => (event.type === "message" ? [event.entry.text] : []));
}
