// The object's one alarm serves four clocks: the hello deadline of pending sockets, retries of
// notices waiting in the outbox, Web Push sends and their retries (worker/push/push-notifier.ts), and
// expiry of mailbox entries and remembered ids (on the hour after, so at most one expiry scan per hour,
// see schema.ts). The alarm only ever moves earlier here; after
// it ran, the earliest remaining need sets it again.

/** Expiry runs on the hour after an entry's time. */
const EXPIRY_GRANULARITY_MS = 3_600_000;

export function expiryAlarmAt(expiresAt: number): number {
	return Math.ceil(expiresAt / EXPIRY_GRANULARITY_MS) * EXPIRY_GRANULARITY_MS;
}

export class AlarmSchedule {
	/** When the alarm is set (null: not set). Unknown after a wake-up until read once. */
	private at: number | null | undefined;
	/** The one read of the alarm after a wake-up; calls meanwhile wait for it. */
	private reading: Promise<void> | null = null;

	constructor(private readonly storage: DurableObjectStorage) {}

	/** Makes sure the alarm fires by `at`: sets it unless it is already due earlier. */
	ensure(at: number): void {
		if (this.at === undefined) {
			// Unknown after eviction: read once. Two calls in one event (a push and the expiry after a
			// delivery) must not each compare against the stale read and the later one win.
			this.reading ??= this.storage.getAlarm().then((current) => {
				if (this.at === undefined) this.at = current;
				this.reading = null;
			});
			void this.reading.then(() => this.ensure(at));
			return;
		}
		if (this.at === null || this.at > at) this.set(at);
	}

	/** Called when the alarm fires: it is no longer set. */
	fired(): void {
		this.at = null;
	}

	/** After the alarm ran: the earliest of what is still needed, never in the past; none if nothing is. */
	rearm(now: number, needed: readonly number[]): void {
		if (needed.length > 0) this.set(Math.max(now + 1, Math.min(...needed)));
	}

	private set(at: number): void {
		this.at = at;
		void this.storage.setAlarm(at);
	}
}
