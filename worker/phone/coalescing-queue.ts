// Per-key coalescing (Nagle-style batching): at most one call is in flight per key; items submitted
// meanwhile wait and go together in the next call, in submission order. An idle key adds no delay;
// a busy one sends fewer, larger calls, and the callee then stores a whole batch in one commit. The
// relay keys it by peer phone, so one sender's messages (and the receipts to one phone) stay in order.

interface Waiting<Item, Result> {
	item: Item;
	resolve: (result: Result) => void;
	reject: (error: unknown) => void;
}

export class CoalescingQueue<Item, Result, Key extends string = string> {
	private readonly waiting = new Map<Key, Waiting<Item, Result>[]>();

	/** `call` must answer one result per item, in order; a throw fails the whole batch. */
	constructor(
		private readonly call: (key: Key, items: Item[]) => Promise<Result[]>,
		private readonly maxBatch: number,
	) {}

	submit(key: Key, item: Item): Promise<Result> {
		return new Promise<Result>((resolve, reject) => this.enqueue(key, [{ item, resolve, reject }]));
	}

	/** Several items that go in the same call (up to the batch limit), even when the key is idle. */
	submitAll(key: Key, items: readonly Item[]): Promise<Result[]> {
		const waiting: Waiting<Item, Result>[] = [];
		const results = items.map(
			(item) => new Promise<Result>((resolve, reject) => waiting.push({ item, resolve, reject })),
		);
		this.enqueue(key, waiting);
		return Promise.all(results);
	}

	private enqueue(key: Key, items: Waiting<Item, Result>[]): void {
		const queue = this.waiting.get(key);
		if (queue) {
			queue.push(...items);
			return;
		}
		this.waiting.set(key, items);
		void this.drain(key, items);
	}

	private async drain(key: Key, queue: Waiting<Item, Result>[]): Promise<void> {
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
