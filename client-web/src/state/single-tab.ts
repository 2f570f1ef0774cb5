// One running FriendLy per browser profile: the relay keeps one connection per phone and would otherwise
// bounce two tabs off each other. A Web Lock names the tab that runs; another tab waits, idle, until the
// user moves FriendLy to it (stealing the lock, which stops the first tab).
const LOCK_NAME = "friendly-active-tab";

export interface TabLock {
	/** True when this tab holds the lock (or the browser has no Web Locks, where we just run). */
	readonly acquired: boolean;
}

/** Tries to become the running tab; `onLost` runs if another tab takes over later. */
export function acquireTabLock(onLost: () => void, steal = false): Promise<TabLock> {
	const locks = navigator.locks;
	if (!locks) return Promise.resolve({ acquired: true });
	return new Promise((resolve) => {
		const options: LockOptions = steal ? { steal: true } : { ifAvailable: true };
		locks
			.request(LOCK_NAME, options, (lock) => {
				if (!lock) {
					resolve({ acquired: false });
					return undefined;
				}
				resolve({ acquired: true });
				// Held until the page goes away (the promise never settles).
				return new Promise<void>(() => {});
			})
			.catch(() => onLost());
	});
}
