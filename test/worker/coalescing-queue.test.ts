// The relay's per-peer batching of calls to other objects (worker/phone/coalescing-queue.ts).
import { describe, expect, it } from "vitest";
import { CoalescingQueue } from "../../worker/phone/coalescing-queue.ts";

function gate() {
	let open: () => void = () => {};
	const opened = new Promise<void>((resolve) => {
		open = resolve;
	});
	return { opened, open };
}

describe("CoalescingQueue", () => {
	it("calls at once when idle, batches what arrives during a call, keeps order, answers each item", async () => {
		const calls: string[][] = [];
		const gates = [gate(), gate()];
		const queue = new CoalescingQueue<string, string>(async (_key, items) => {
			calls.push(items);
			await gates[calls.length - 1]?.opened;
			return items.map((item) => `ok ${item}`);
		}, 64);
		const first = queue.submit("bob", "1");
		// No waiting at all for an idle key.
		expect(calls).toEqual([["1"]]);
		const later = ["2", "3", "4"].map((item) => queue.submit("bob", item));
		gates[0]?.open();
		expect(await first).toBe("ok 1");
		gates[1]?.open();
		expect(await Promise.all(later)).toEqual(["ok 2", "ok 3", "ok 4"]);
		expect(calls).toEqual([["1"], ["2", "3", "4"]]);
	});

	it("sends items submitted together in one call, split at the batch limit", async () => {
		const calls: number[][] = [];
		const queue = new CoalescingQueue<number, number>(async (_key, items) => {
			calls.push(items);
			return items;
		}, 3);
		expect(await queue.submitAll("bob", [1, 2, 3, 4, 5])).toEqual([1, 2, 3, 4, 5]);
		expect(calls).toEqual([
			[1, 2, 3],
			[4, 5],
		]);
	});

	it("keys are independent: a slow peer does not hold up another", async () => {
		const slow = gate();
		const queue = new CoalescingQueue<string, string>(async (key, items) => {
			if (key === "slow") await slow.opened;
			return items;
		}, 64);
		const held = queue.submit("slow", "a");
		expect(await queue.submit("fast", "b")).toBe("b");
		slow.open();
		expect(await held).toBe("a");
	});

	it("a failed call rejects its own batch only; the next batch still goes", async () => {
		let calls = 0;
		const queue = new CoalescingQueue<string, string>(async (_key, items) => {
			calls += 1;
			if (calls === 1) throw new Error("object unreachable");
			return items;
		}, 64);
		const failed = queue.submit("bob", "1");
		await Promise.resolve();
		const next = queue.submit("bob", "2");
		await expect(failed).rejects.toThrow("object unreachable");
		expect(await next).toBe("2");
	});

	it("a callee that answers the wrong number of results fails the batch rather than misattributing", async () => {
		const queue = new CoalescingQueue<string, string>(async () => ["only one"], 64);
		await expect(queue.submitAll("bob", ["1", "2"])).rejects.toThrow("expected 2 results, got 1");
	});
});
