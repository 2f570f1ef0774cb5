// Per-key serialisation: operations queued under the same key run one after another, in call order,
// whatever their outcome. The library queues every encrypt/decrypt under the peer's phone, so a send and
// a receive for the same peer can never interleave between loading and storing its session record.

export class KeyedLock {
	readonly #tails = new Map<string, Promise<void>>();

	run<T>(key: string, operation: () => Promise<T>): Promise<T> {
		const previous = this.#tails.get(key);
		const result = previous ? previous.then(operation) : operation();
		const tail = result.then(
			() => undefined,
			() => undefined,
		);
		this.#tails.set(key, tail);
		void tail.then(() => {
			if (this.#tails.get(key) === tail) this.#tails.delete(key);
		});
		return result;
	}

	/** Number of keys with queued work (tests). */
	get size(): number {
		return this.#tails.size;
	}
}
