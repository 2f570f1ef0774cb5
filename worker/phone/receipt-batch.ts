// Delivery receipts for an owner who is away, stored as one mailbox row per call (docs/PROTOCOL.md
// §Mailbox rules, docs/PERFORMANCE.md §Cost model). A drain acknowledges a sender's messages together,
// and their receipts reach the sender's object in one call; one row per receipt was two rows written
// each (the insert and its deletion after the ack), the largest cost of a message whose sender is
// offline too. A batch of n receipts is one row under the first of n consecutive seqs, and the owner's
// client still sees n ordinary receipt frames, one seq each: the wire is unchanged.
//
// The row goes once every one of its seqs is acknowledged. The seqs acknowledged so far are kept in
// memory only: if the object is lost first, the whole batch is delivered again, which receipts allow
// (at-least-once; a repeated receipt changes nothing at the client).

/** The row kind of a batch (its single receipts stay kind "receipt"). */
export const RECEIPT_BATCH_KIND = "receipts";

export interface BatchedReceipt {
	messageId: string;
	/** When the recipient acknowledged the message (the receipt frame's deliveredAt). */
	at: number;
}

/** Where one receipt sits: its batch row's seq and how many seqs the row spans. */
export interface BatchPlace {
	seq: number;
	count: number;
}

/** The row's body: `[[messageId, at], …]` in seq order. */
export function encodeReceiptBatch(receipts: readonly BatchedReceipt[]): string {
	return JSON.stringify(receipts.map((receipt) => [receipt.messageId, receipt.at]));
}

/** Reads a batch row's body; anything else is a corrupt row (this object wrote it). */
export function decodeReceiptBatch(body: string): BatchedReceipt[] {
	const parsed: unknown = JSON.parse(body);
	if (!Array.isArray(parsed) || parsed.length === 0) throw new Error("corrupt receipt batch row");
	return parsed.map((item: unknown) => {
		if (
			!Array.isArray(item) ||
			item.length !== 2 ||
			typeof item[0] !== "string" ||
			typeof item[1] !== "number"
		)
			throw new Error("corrupt receipt batch row");
		return { messageId: item[0], at: item[1] };
	});
}

/** The seqs of each batch row acknowledged so far (in memory: see the header). */
export class BatchAcks {
	private readonly acked = new Map<number, Set<number>>();

	/** Records the ack of `seq` in its batch; true when that completes the batch (its row can go). */
	ack(seq: number, place: BatchPlace): boolean {
		const seqs = this.acked.get(place.seq) ?? new Set<number>();
		seqs.add(seq);
		this.acked.set(place.seq, seqs);
		return seqs.size >= place.count;
	}

	isAcked(seq: number, batchSeq: number): boolean {
		return this.acked.get(batchSeq)?.has(seq) ?? false;
	}

	/** The batch row is gone (deleted or expired). */
	forget(batchSeq: number): void {
		this.acked.delete(batchSeq);
	}

	clear(): void {
		this.acked.clear();
	}
}
