// Registered users for the adversarial and fault tests (test/adversarial): like messenger-user.ts,
// but each registration comes from its own client address (the relay limits code requests per IP to
// 30 a minute, and these tests register hundreds of phones), and a user's Messenger can be reopened on
// the same stores, which is what a client restart (or a crash) looks like.
import {
	completeRegistration,
	createMemoryMessengerStores,
	Messenger,
	type MessengerEvent,
	type MessengerStores,
	requestVerificationCode,
} from "../../protocol/messenger/index.ts";

let addressCounter = 0;

/** A fetch that presents a fresh client address (cf-connecting-ip) per call: loopback tests only. */
export function spreadAddressFetch(): (input: string, init?: RequestInit) => Promise<Response> {
	return (input, init) => {
		addressCounter += 1;
		const headers = new Headers(init?.headers);
		headers.set(
			"cf-connecting-ip",
			`10.${(addressCounter >> 16) & 255}.${(addressCounter >> 8) & 255}.${addressCounter & 255}`,
		);
		return fetch(input, { ...init, headers });
	};
}

export interface Device {
	phone: string;
	stores: MessengerStores;
	messenger: Messenger;
	/** Events of the current Messenger instance and all earlier ones on these stores. */
	events: MessengerEvent[];
	/** Waits until `predicate` holds for the recorded events (up to `ms`, default 10 s). */
	until(predicate: (events: MessengerEvent[]) => boolean, what: string, ms?: number): Promise<void>;
	/** Stops the current Messenger and opens a new one on the same stores (a client restart). */
	restart(): Promise<void>;
}

export interface DeviceOptions {
	sendTimeoutMs?: number;
}

export async function registerDevice(
	relayUrl: string,
	phone: string,
	options: DeviceOptions = {},
): Promise<Device> {
	const stores = createMemoryMessengerStores();
	const spread = spreadAddressFetch();
	const requested = await requestVerificationCode(relayUrl, phone, spread);
	if (!requested.code) throw new Error("the test relay must use echo delivery");
	await completeRegistration({
		relayUrl,
		phone,
		code: requested.code,
		stores,
		extractable: false,
		fetch: spread,
	});
	const events: MessengerEvent[] = [];
	const waiters = new Set<() => void>();
	const open = () =>
		Messenger.open({
			stores,
			...(options.sendTimeoutMs !== undefined ? { sendTimeoutMs: options.sendTimeoutMs } : {}),
			onEvent: (event) => {
				events.push(event);
				for (const wake of waiters) wake();
			},
		});
	const device: Device = {
		phone: "",
		stores,
		messenger: await open(),
		events,
		until: async (predicate, what, ms = 10_000) => {
			const deadline = Date.now() + ms;
			while (!predicate(events)) {
				if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
				await new Promise<void>((resolve) => {
					const wake = () => {
						waiters.delete(wake);
						resolve();
					};
					waiters.add(wake);
					setTimeout(wake, 100);
				});
			}
		},
		restart: async () => {
			device.messenger.stop();
			device.messenger = await open();
			device.messenger.start();
		},
	};
	device.phone = device.messenger.phone;
	return device;
}

/** Texts shown to the user, in order. */
export function shown(events: MessengerEvent[]): string[] {
	return events.flatMap((event) => (event.type === "message" ? [event.entry.text] : []));
}

/** Codes of `problem` events (for one peer, if given). */
export function problemCodes(events: MessengerEvent[], peer?: string): string[] {
	return events.flatMap((e) =>
		e.type === "problem" && (peer === undefined || e.peer === peer) ? [e.code] : [],
	);
}
