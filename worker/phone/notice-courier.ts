// Hands receipts and "resume" notices to other phones' objects (docs/PROTOCOL.md §Mailbox rules).
// One call is in flight per target phone and what arrives meanwhile goes in the next (CoalescingQueue);
// notices that could not be handed over wait in the durable outbox and are retried (by the alarm).
import type { E164 } from "../../protocol/wire/index.ts";
import { CoalescingQueue } from "./coalescing-queue.ts";
import type { FoundEntry } from "./mailbox.ts";
import type { Notice, Outbox } from "./outbox.ts";

/** Notices per call to one phone's object (an RPC carries at most 32 MiB). */
const MAX_NOTICES_PER_CALL = 512;

export class NoticeCourier {
	private readonly queue: CoalescingQueue<Notice, null, E164>;
	private flushing: Promise<boolean> | null = null;
	private flushAgain = false;

	/** `handOver` stores notices in the target phone's object (or this one's, for itself). */
	constructor(
		private readonly outbox: Outbox,
		handOver: (target: E164, notices: Notice[]) => Promise<void>,
	) {
		this.queue = new CoalescingQueue<Notice, null, E164>(async (target, notices) => {
			await handOver(target, notices);
			return notices.map(() => null);
		}, MAX_NOTICES_PER_CALL);
	}

	/**
	 * Receipts for acknowledged messages, one call per sender (none for messages to oneself). Resolves
	 * once every sender's object stored them; those that failed are written to the outbox, and the
	 * result says whether any were (so the caller can arm the retry).
	 */
	async sendReceipts(me: E164, messages: readonly FoundEntry[], now: number): Promise<boolean> {
		const bySender = new Map<E164, Notice[]>();
		for (const entry of messages) {
			if (entry.kind !== "message" || entry.peer === me) continue;
			const notices = bySender.get(entry.peer) ?? [];
			notices.push({ kind: "receipt", messageId: entry.messageId, at: now });
			bySender.set(entry.peer, notices);
		}
		const failed = await Promise.all(
			[...bySender].map(([target, notices]) =>
				this.queue.submitAll(target, notices).then(
					() => null,
					() => ({ target, notices }),
				),
			),
		);
		let queued = false;
		for (const batch of failed) {
			if (!batch) continue;
			for (const notice of batch.notices)
				this.outbox.add(notice.kind, batch.target, notice.messageId, notice.at);
			queued = true;
		}
		return queued;
	}

	/** Sends what waits in the outbox; resolves true if some of it failed again. */
	flushOutbox(): Promise<boolean> {
		if (this.flushing) {
			// The running pass read its batches already: notices added since need another pass.
			this.flushAgain = true;
			return this.flushing;
		}
		this.flushing = (async () => {
			let failed = false;
			do {
				this.flushAgain = false;
				failed = (await this.sendOutbox()) || failed;
			} while (this.flushAgain);
			return failed;
		})().finally(() => {
			this.flushing = null;
		});
		return this.flushing;
	}

	private async sendOutbox(): Promise<boolean> {
		let failed = false;
		for (const batch of this.outbox.batches()) {
			try {
				await this.queue.submitAll(batch.target, batch.notices);
				this.outbox.remove(batch.ids);
			} catch {
				failed = true;
			}
		}
		return failed;
	}
}
