// One running FriendLy per browser profile. Two tabs writing the same ratchet sessions and prekeys
// would reuse or lose keys (and the relay keeps one connection per phone), so a Web Lock names the tab
// that runs; another tab waits, idle, until the user moves FriendLy to it (stealing the lock, which
// stops the first tab). Without Web Locks FriendLy does not run at all (main.tsx says so).
//
// The browser tells the tab that lost its lock by rejecting its request, but only some time after the
// steal. So before every use of the stores (every key read ahead of crypto, every write) the tab asks
// the browser again: TabLock.assertHeld(). The storage layer adds a write fence (storage/idb.ts), so a
// write that slips between that check and the steal is rolled back rather than committed.
const LOCK_NAME = "friendly-active-tab";

/** Thrown by every guarded operation once another tab took FriendLy over. */
export class TabLockLostError extends Error {
	override readonly name = "TabLockLostError";
	constructor() {
		super("FriendLy moved to another tab; this tab stopped.");
	}
}

/** Thrown when the browser has no Web Locks API (FriendLy refuses to run without it). */
export class WebLocksMissingError extends Error {
	override readonly name = "WebLocksMissingError";
	constructor() {
		super(WEB_LOCKS_MISSING);
	}
}

export const WEB_LOCKS_MISSING =
	"This browser lacks Web Locks, which FriendLy needs so two tabs never write the same keys; use a current browser.";

export function hasWebLocks(): boolean {
	const locks: Partial<LockManager> | undefined = globalThis.navigator?.locks;
	return typeof locks?.request === "function" && typeof locks.query === "function";
}

export class TabLock {
	#lost = false;
	readonly #lostListeners = new Set<() => void>();

	constructor(
		private readonly locks: LockManager,
		/** This page's client id as the lock manager reports it (undefined where a browser omits it). */
		private readonly clientId: string | undefined,
	) {}

	get lost(): boolean {
		return this.#lost;
	}

	/** Runs `listener` once, when this tab loses the lock (at once if it already has). */
	onLost(listener: () => void): void {
		if (this.#lost) listener();
		else this.#lostListeners.add(listener);
	}

	/**
	 * The one check before any key is read or written: resolves only while this tab still holds the
	 * lock, as the browser's lock manager says now; otherwise marks the lock lost and throws
	 * TabLockLostError.
	 */
	async assertHeld(): Promise<void> {
		if (this.#lost) throw new TabLockLostError();
		if (this.clientId !== undefined) {
			const { held = [] } = await this.locks.query();
			if (!held.some((lock) => lock.name === LOCK_NAME && lock.clientId === this.clientId)) this.markLost();
		}
		if (this.#lost) throw new TabLockLostError();
	}

	/** Records the loss (the browser said so, a check or the write fence found out) and tells the listeners once. */
	markLost(): void {
		if (this.#lost) return;
		this.#lost = true;
		for (const listener of this.#lostListeners) {
			try {
				listener();
			} catch {
				// One failing listener must not keep the others from stopping.
			}
		}
		this.#lostListeners.clear();
	}
}

/**
 * Tries to become the running tab: resolves with the lock, or null when another tab runs FriendLy (and
 * `steal` is false). Throws WebLocksMissingError without Web Locks.
 */
export async function acquireTabLock(steal = false): Promise<TabLock | null> {
	if (!hasWebLocks()) throw new WebLocksMissingError();
	const locks = navigator.locks;
	const clientId = await ownClientId(locks);
	return new Promise((resolve) => {
		let tabLock: TabLock | null = null;
		const options: LockOptions = steal ? { steal: true } : { ifAvailable: true };
		locks
			.request(LOCK_NAME, options, (lock) => {
				if (!lock) {
					resolve(null);
					return undefined;
				}
				tabLock = new TabLock(locks, clientId);
				resolve(tabLock);
				// Held until the page goes away or another tab steals it (the promise never settles).
				return new Promise<void>(() => {});
			})
			// Rejected (AbortError) when another tab stole the lock.
			.catch(() => {
				if (tabLock) tabLock.markLost();
				else resolve(null);
			});
	});
}

let clientIdProbe: Promise<string | undefined> | undefined;

/**
 * This page's client id in the lock manager's snapshots, read once through a lock only this page ever
 * asks for (so the holder in the snapshot cannot be another tab).
 */
function ownClientId(locks: LockManager): Promise<string | undefined> {
	clientIdProbe ??= new Promise((resolve) => {
		const name = `friendly-client-probe-${crypto.randomUUID()}`;
		locks
			.request(name, async () => {
				const { held = [] } = await locks.query();
				resolve(held.find((lock) => lock.name === name)?.clientId || undefined);
			})
			.catch(() => resolve(undefined));
	});
	return clientIdProbe;
}
