// Per-key promise chains: tasks with the same key run one after another, in call order, even though
// each awaits other objects; tasks with different keys run concurrently. The relay uses one chain
// per peer phone so one sender's messages, and one recipient's receipts, arrive in order.

export class OrderedChains {
	private readonly tails = new Map<string, Promise<void>>();

	run<T>(key: string, task: () => Promise<T>): Promise<T> {
		const previous = this.tails.get(key) ?? Promise.resolve();
		const result = previous.then(task, task);
		const settled = result.then(
			() => undefined,
			() => undefined,
		);
		this.tails.set(key, settled);
		// The map holds only chains with work in flight.
		void settled.then(() => {
			if (this.tails.get(key) === settled) this.tails.delete(key);
		});
		return result;
	}
}
