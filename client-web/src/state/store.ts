// A minimal observable value and the Preact hook that re-renders a component when it changes. The app
// has one state object (app-state.ts); this is all the "state library" it needs.
import { useEffect, useState } from "preact/hooks";

export class Store<T> {
	private value: T;
	private readonly listeners = new Set<(value: T) => void>();

	constructor(initial: T) {
		this.value = initial;
	}

	get(): T {
		return this.value;
	}

	update(change: (current: T) => T): void {
		this.value = change(this.value);
		for (const listener of this.listeners) listener(this.value);
	}

	subscribe(listener: (value: T) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}
}

export function useStore<T>(store: Store<T>): T {
	const [value, setValue] = useState(store.get());
	useEffect(() => {
		setValue(store.get());
		return store.subscribe(setValue);
	}, [store]);
	return value;
}
