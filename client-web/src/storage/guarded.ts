// The stores as the messenger core sees them in a tab that holds the Web Lock: every store call first
// runs `guard` (the tab's "do I still hold the lock?" check) and only then touches IndexedDB. Every key
// the core uses for crypto is read through a store, and every result is written through one, so no
// encryption, decryption or key operation starts, and nothing is written, once the check fails.
// A Proxy rather than one wrapper per method, so a store method added later cannot skip the check.
import type { MessengerStores } from "../../../protocol/messenger/stores.ts";

type Guard = () => Promise<void>;

function guardStore<S extends object>(store: S, guard: Guard, onError: (error: unknown) => void): S {
	return new Proxy(store, {
		get(target, property) {
			const value: unknown = Reflect.get(target, property, target);
			if (typeof value !== "function") return value;
			return async (...args: unknown[]) => {
				await guard();
				try {
					return await Reflect.apply(value, target, args);
				} catch (error) {
					onError(error);
					throw error;
				}
			};
		},
	});
}

/**
 * `stores` with each store's methods behind `guard`; `onError` sees every error a store call throws
 * after the guard passed (e.g. a write the storage's fence refused).
 */
export function guardStores<T extends MessengerStores>(
	stores: T,
	guard: Guard,
	onError: (error: unknown) => void = () => {},
): T {
	const wrap = <S extends object>(store: S): S => guardStore(store, guard, onError);
	return {
		...stores,
		identities: wrap(stores.identities),
		prekeys: wrap(stores.prekeys),
		sessions: wrap(stores.sessions),
		account: wrap(stores.account),
		contacts: wrap(stores.contacts),
		history: wrap(stores.history),
	};
}
