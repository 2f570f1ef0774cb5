// Messengers for the fast tier: registered through the real registration code against the FakeRelay,
// on in-memory stores, with their events recorded. The in-process counterpart of
// test/support/messenger-user.ts (which talks to the real Worker).
import type { SocketLike } from "../../../protocol/client/index.ts";
import {
	completeRegistration,
	createMemoryMessengerStores,
	Messenger,
	type MessengerEvent,
	type MessengerStores,
} from "../../../protocol/messenger/index.ts";
import { createMemoryStores, type MemoryStores } from "../../../protocol/session/index.ts";
import { createEventLog } from "../../support/event-log.ts";
import type { FakeRelay } from "./fake-relay.ts";

/** Messenger stores whose protocol part can be inspected (sessions, pins, prekeys). */
export type State = MessengerStores & MemoryStores;

export interface FastUser<S extends MessengerStores = State> {
	readonly phone: string;
	/** The state on "disk": survives restarts. */
	readonly state: S;
	/** Events of every run of this user, in order. */
	readonly events: MessengerEvent[];
	/** The Messenger of the current run. */
	messenger: Messenger;
	/** Stops the current run and opens a new Messenger (not started) on `stores`, the same state by default. */
	reopen(stores?: MessengerStores, createSocket?: (url: string) => SocketLike): Promise<Messenger>;
	/** reopen(), start, and wait for the backlog. */
	restart(stores?: MessengerStores): Promise<Messenger>;
	/** Waits until `predicate` holds for the recorded events (15 s: generous for a loaded machine). */
	until(predicate: (events: MessengerEvent[]) => boolean, what: string): Promise<void>;
}

export function freshState(): State {
	return { ...createMemoryMessengerStores(), ...createMemoryStores() };
}

/** Registers `phone` (a new install unless `state` is given) and opens its Messenger, not started. */
export function registerUser(relay: FakeRelay, phone: string): Promise<FastUser<State>>;
export function registerUser<S extends MessengerStores>(
	relay: FakeRelay,
	phone: string,
	state: S,
): Promise<FastUser<S>>;
export async function registerUser(
	relay: FakeRelay,
	phone: string,
	state: MessengerStores = freshState(),
): Promise<FastUser<MessengerStores>> {
	await completeRegistration({
		relayUrl: relay.url,
		phone,
		code: "123456",
		stores: state,
		// The CLI's disk stores write the private keys out; memory stores keep them either way.
		extractable: true,
		fetch: relay.fetch,
	});
	// 15 s: generous for a loaded machine.
	const log = createEventLog(15_000, 10);
	const open = (stores: MessengerStores, createSocket: (url: string) => SocketLike) =>
		Messenger.open({
			stores,
			createSocket,
			fetch: relay.fetch,
			onEvent: log.record,
		});
	const first = await open(state, relay.createSocket);
	const user: FastUser<MessengerStores> = {
		phone: first.phone,
		state,
		events: log.events,
		messenger: first,
		reopen: async (stores = state, createSocket = relay.createSocket) => {
			user.messenger.stop();
			user.messenger = await open(stores, createSocket);
			return user.messenger;
		},
		restart: async (stores = state) => {
			const messenger = await user.reopen(stores);
			messenger.start();
			await messenger.waitForDrain();
			return messenger;
		},
		until: log.until,
	};
	return user;
}

/** Starts the user's Messenger and waits until its backlog was handled. */
export async function online(user: FastUser<MessengerStores>): Promise<void> {
	user.messenger.start();
	await user.messenger.waitForDrain();
}

export function received(events: readonly MessengerEvent[]): string[] {
	return events.flatMap((event) => (event.type === "message" ? [event.entry.text] : []));
}

/** The statuses an outgoing message went through, in order (`failed:<code>` for failures). */
export function statuses(events: readonly MessengerEvent[], id: string): string[] {
	return events.flatMap((event) =>
		event.type === "status" && event.id === id
			? [event.error ? `${event.status}:${event.error.code}` : event.status]
			: [],
	);
}

export function lastStatus(events: readonly MessengerEvent[], id: string): string | undefined {
	return statuses(events, id).at(-1);
}
