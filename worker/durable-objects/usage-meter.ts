// What Cloudflare bills a Durable Object for (docs/PERFORMANCE.md §Cost model; prices in
// /work/shared/PLATFORM.md and Cloudflare's Durable Objects pricing page), counted inside the object:
//   - SQLite rows written and read: workerd's own counters on each statement's cursor (what billing
//     counts: every insert, update, delete and index update);
//   - alarms set (counted apart: an alarm is kept in the object's storage, so the bench counts each
//     `setAlarm` as a row written, the conservative reading);
//   - requests: every RPC call, fetch and alarm invocation is one; incoming WebSocket messages are
//     billed 20:1, so they are counted apart;
//   - active wall time: from the first event in flight to the last (overlapping events once), plus
//     the time a timer is pending (an object with a timer cannot hibernate, so it is billed).
// Off unless the Worker's USAGE_METER var is "log" (`npm run bench`'s cost section): each object then
// logs one `usage {...}` line whenever it goes idle. The line holds counts only, no phone, id or data.
import { emptyUsage, USAGE_LINE_PREFIX, type Usage } from "./usage-line.ts";

export class UsageMeter {
	private counts: Usage = emptyUsage();
	/** Cursors of the statements since the last report: their counters are read when it is made. */
	private cursors: { readonly rowsWritten: number; readonly rowsRead: number }[] = [];
	private busy = 0;
	private busySince = 0;

	constructor(private readonly report: (usage: Usage) => void = logUsage) {}

	/** The object's SQL storage, every statement counted. */
	sql(sql: SqlStorage): SqlStorage {
		const exec: SqlStorage["exec"] = <T extends Record<string, SqlStorageValue>>(
			query: string,
			...bindings: unknown[]
		) => {
			const cursor = sql.exec<T>(query, ...bindings);
			this.cursors.push(cursor);
			return cursor;
		};
		return new Proxy(sql, {
			get: (target, property) => {
				if (property === "exec") return exec;
				const value: unknown = Reflect.get(target, property, target);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
	}

	/** The object's storage with its SQL counted and each alarm set counted. */
	storage(storage: DurableObjectStorage): DurableObjectStorage {
		const sql = this.sql(storage.sql);
		const setAlarm: DurableObjectStorage["setAlarm"] = (at, options) => {
			this.counts.alarmsSet += 1;
			return storage.setAlarm(at, options);
		};
		return new Proxy(storage, {
			get: (target, property) => {
				if (property === "sql") return sql;
				if (property === "setAlarm") return setAlarm;
				const value: unknown = Reflect.get(target, property, target);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
	}

	/** One billed event (an RPC call, a fetch, an alarm, or an incoming WebSocket message), timed. */
	async event<T>(kind: "request" | "webSocketMessage", work: () => Promise<T>): Promise<T> {
		if (kind === "request") this.counts.requests += 1;
		else this.counts.webSocketMessages += 1;
		this.begin();
		try {
			return await work();
		} finally {
			this.end();
		}
	}

	/** Something that keeps the object from hibernating (a pending timer) starts; call the result when it ends. */
	keepAwake(): () => void {
		this.begin();
		let ended = false;
		return () => {
			if (ended) return;
			ended = true;
			this.end();
		};
	}

	private begin(): void {
		if (this.busy === 0) this.busySince = Date.now();
		this.busy += 1;
	}

	private end(): void {
		this.busy -= 1;
		if (this.busy > 0) return;
		this.counts.activeMs += Date.now() - this.busySince;
		for (const cursor of this.cursors) {
			this.counts.rowsWritten += cursor.rowsWritten;
			this.counts.rowsRead += cursor.rowsRead;
		}
		this.cursors = [];
		this.report(this.counts);
		this.counts = emptyUsage();
	}
}

function logUsage(usage: Usage): void {
	console.log(`${USAGE_LINE_PREFIX}${JSON.stringify(usage)}`);
}
