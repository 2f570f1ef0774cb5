// Per-key coalescing (Nagle-style batching): at most one call is in flight per key; items submitted
// meanwhile wait and go together in the next call, in submission order. An idle key adds no delay;
// a busy one sends fewer, larger calls, and the callee then stores a whole batch in one commit. The
// relay keys it by peer phone, so one sender's messages (and the receipts to one phone) stay in order.

interface Waiting<Item, Result> {
	item: Item;
	resolve: (result: Result) => void;
	reject: (error: unknown) => void;
}

export class CoalescingQueue<Item, Result> {
	private readonly waiting = new Map<string, Waiting<Item, Result>[]>();

	/** `call` must answer one result per item, in order; a throw fails the whole batch. */
	constructor(
		private readonly call: (key: string, items: Item[]) => Promise<Result[]>,
		private readonly maxBatch: number,
	) {}

	submit(key: string, item: Item): Promise<Result> {
		return new Promise<Result>((resolve, reject) => {
			const queue = this.waiting.get(key);
			if (queue) {
				queue.push({ item, resolve, reject });
				return;
			}
			const fresh = [{ item, resolve, reject }];
			this.waiting.set(key, fresh);
			// After the current turn: everything submitted in it goes in the first call.
			queueMicrotask(() => void this.drain(key, fresh));
		});
	}

	private async drain(key: string, queue: Waiting<Item, Result>[]): Promise<void> {
		while (queue.length > 0) {
			const batch = queue.splice(0, this.maxBatch);
			try {
				const results = await this.call(
					key,
					batch.map((waiting) => waiting.item),
				);
				if (results.length !== batch.length)
					throw new Error(`expected ${batch.length} results, got ${results.length}`);
				for (const [i, result] of results.entries()) batch[i]?.resolve(result);
			} catch (error) {
				for (const waiting of batch) waiting.reject(error);
			}
		}
		this.waiting.delete(key);
	}
}
