// A process's view of a phone's stores for crash-injection tests (the "disk"): every record is copied
// on the way in and out, so what is stored is exactly what was written. Once armed, the `failAt`th
// mutation throws and every later one is refused ("the process died"); the tests then open a fresh
// Messenger on what was written before. Used by the fast tier (against the relay double) and the
// integration tier (against the real relay).
import type { MessengerStores } from "../../protocol/messenger/index.ts";

/** The store mutations a first message makes at its recipient, in order. */
export const FIRST_MESSAGE_WRITES = [
	"history.storeEntry",
	"contacts.storeContact",
	"identities.storeTrustedIdentity",
	"sessions.storeSessionRecord",
	// Suite 2: the one-time KEM prekey the setup used.
	"prekeys.removeKemPrekeys",
	"prekeys.removeOneTimePrekey",
] as const;

/** Store methods that change state; everything else (load, list, count) only reads. */
const MUTATION = /^(store|remove|set|clear|delete)/;

export interface Disk {
	readonly stores: MessengerStores;
	/** Mutations since armed, by name (the one that crashed included). */
	readonly writes: string[];
	armed: boolean;
	dead: boolean;
	/** Called after each write that went through while armed. */
	afterWrite: (() => void) | undefined;
}

export function openDisk(state: MessengerStores, failAt = Number.POSITIVE_INFINITY): Disk {
	const disk: Omit<Disk, "stores"> = { writes: [], armed: false, dead: false, afterWrite: undefined };
	const wrap = <T extends object>(area: string, target: T): T =>
		new Proxy(target, {
			get(object, property, receiver) {
				const value: unknown = Reflect.get(object, property, receiver);
				if (typeof value !== "function" || typeof property !== "string") return value;
				if (!MUTATION.test(property)) {
					return async (...args: unknown[]) => structuredClone(await Reflect.apply(value, object, args));
				}
				return async (...args: unknown[]) => {
					const name = `${area}.${property}`;
					if (disk.dead) throw new Error(`${name} refused: the process died`);
					if (disk.armed) {
						disk.writes.push(name);
						if (disk.writes.length >= failAt) {
							disk.dead = true;
							throw new Error(`crash at write ${disk.writes.length} (${name})`);
						}
					}
					await Reflect.apply(value, object, structuredClone(args));
					if (disk.armed) disk.afterWrite?.();
				};
			},
		});
	return Object.assign(disk, {
		stores: {
			identities: wrap("identities", state.identities),
			prekeys: wrap("prekeys", state.prekeys),
			sessions: wrap("sessions", state.sessions),
			account: wrap("account", state.account),
			contacts: wrap("contacts", state.contacts),
			history: wrap("history", state.history),
		},
	});
}
