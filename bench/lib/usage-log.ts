// The usage lines a metered relay prints (worker/durable-objects/usage-meter.ts, USAGE_METER=log), read
// from its stdout and summed between marks: the cost section's counts, and section 5's proof that no
// object wakes while its sockets are idle.
import * as v from "valibot";
import { emptyUsage, USAGE_LINE_PREFIX, type Usage } from "../../worker/durable-objects/usage-line.ts";

const UsageLine = v.object({
	requests: v.number(),
	webSocketMessages: v.number(),
	rowsWritten: v.number(),
	rowsRead: v.number(),
	alarmsSet: v.number(),
	activeMs: v.number(),
});

/** How long no object may report before the relay counts as quiet, and the longest wait for that. */
const QUIET_MS = 1_500;
const QUIET_LIMIT_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class UsageLog {
	private readonly lines: Usage[] = [];
	private lastLineAt = 0;

	/** Hand every line the relay prints to this; lines other than usage lines are ignored. */
	onLine = (line: string): void => {
		const at = line.indexOf(USAGE_LINE_PREFIX);
		if (at < 0) return;
		let json: unknown;
		try {
			json = JSON.parse(line.slice(at + USAGE_LINE_PREFIX.length));
		} catch {
			return;
		}
		const parsed = v.safeParse(UsageLine, json);
		if (!parsed.success) return;
		this.lines.push(parsed.output);
		this.lastLineAt = Date.now();
	};

	mark(): number {
		return this.lines.length;
	}

	/** Everything reported since `mark`, summed. */
	since(mark: number): Usage {
		const sum = emptyUsage();
		for (const line of this.lines.slice(mark)) {
			for (const key of Object.keys(sum) as (keyof Usage)[]) sum[key] += line[key];
		}
		return sum;
	}

	/** Waits until no object has reported for QUIET_MS (every object idle, deferred removals written). */
	async quiet(): Promise<void> {
		const start = Date.now();
		for (;;) {
			await sleep(250);
			if (Date.now() - Math.max(this.lastLineAt, start) >= QUIET_MS) return;
			if (Date.now() - start > QUIET_LIMIT_MS)
				throw new Error(`the relay's objects did not go idle within ${QUIET_LIMIT_MS} ms`);
		}
	}
}
