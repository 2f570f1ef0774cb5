// The three relays the bench drives, each in its own process on a free 127.0.0.1 port:
//   friendly   the real relay (wrangler.toml, worker/), as `npm start` runs it, with bench vars:
//              echo codes with no resend spacing, a mailbox cap above the largest drain, and a
//              higher coarse per-address limit on verification routes (every bench client comes from
//              127.0.0.1, and the bench registers up to ~1,000 phones). Static assets are left out
//              (the bench uses only /v1 and /healthz). Nothing else differs from wrangler.toml.
//   plain-do   bench/baseline-relay: the same routing shape without crypto checks or storage.
//   node-ws    bench/baseline-ws/server.ts: a plain Node `ws` relay (the loopback limit).
import { resolve } from "node:path";
import { type RelayProcess, ROOT, type StateLocation, startNodeScript, startWrangler } from "./processes.ts";

export type RelayKind = "friendly" | "plain-do" | "node-ws";

export const BENCH_VARS: Record<string, string> = {
	CODE_DELIVERY: "echo",
	CODE_RESEND_INTERVAL_SECONDS: "0",
	CODES_PER_HOUR: "1000",
	MAILBOX_MAX_MESSAGES: "20000",
	MAILBOX_MAX_BYTES: String(64 * 1024 * 1024),
};

function friendlyConfig(config: string): string {
	const limit = /(\[\[ratelimits\]\][^[]*?simple\s*=\s*\{\s*limit\s*=\s*)([0-9]+)/;
	if (!limit.test(config))
		throw new Error("wrangler.toml: no [[ratelimits]] simple limit to raise for the bench");
	let out = config.replace(limit, "$1100000");
	// Drop the [assets] table (the web client's build is not needed for the API).
	out = out.replace(/^\[assets\][\s\S]*?(?=^\[)/m, "");
	return out;
}

export function startRelay(
	kind: RelayKind,
	state: StateLocation = "disk",
	inspectorPort?: number,
): Promise<RelayProcess> {
	switch (kind) {
		case "friendly":
			return startWrangler({
				configPath: resolve(ROOT, "wrangler.toml"),
				vars: BENCH_VARS,
				rewrite: friendlyConfig,
				state,
				...(inspectorPort !== undefined ? { inspectorPort } : {}),
			});
		case "plain-do":
			return startWrangler({
				configPath: resolve(ROOT, "bench/baseline-relay/wrangler.toml"),
				state,
				...(inspectorPort !== undefined ? { inspectorPort } : {}),
			});
		case "node-ws":
			return startNodeScript(resolve(ROOT, "bench/baseline-ws/server.ts"));
	}
}

/**
 * A relay whose objects log their billed usage (worker/durable-objects/usage-meter.ts): rows written
 * and read, requests, WebSocket messages, alarms set, active time. State on disk unless told.
 */
export function startMeteredRelay(
	kind: "friendly" | "plain-do",
	onLine: (line: string) => void,
	state: StateLocation = "disk",
): Promise<RelayProcess> {
	const metered = { logLevel: "log" as const, onLine, state };
	return kind === "friendly"
		? startWrangler({
				configPath: resolve(ROOT, "wrangler.toml"),
				vars: { ...BENCH_VARS, USAGE_METER: "log" },
				rewrite: friendlyConfig,
				...metered,
			})
		: startWrangler({
				configPath: resolve(ROOT, "bench/baseline-relay/wrangler.toml"),
				vars: { USAGE_METER: "log" },
				...metered,
			});
}
