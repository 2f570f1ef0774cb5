// A quick reachability check before a one-shot command connects: the relay client would otherwise
// keep retrying with backoff (right for a long-running session, wrong for a script waiting for an exit
// code). GET /healthz with a short timeout; failure names the URL.
import { CliError } from "./errors.ts";
import { EXIT_CODES } from "./exit-codes.ts";

const CHECK_TIMEOUT_MS = 5_000;

export async function checkRelayReachable(relayUrl: string): Promise<void> {
	let response: Response;
	try {
		response = await fetch(`${relayUrl}/healthz`, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
	} catch (error) {
		const why =
			error instanceof Error && error.name === "TimeoutError" ? "no answer within 5 s" : "connection failed";
		throw new CliError(
			EXIT_CODES.serverUnreachable,
			"relay_unreachable",
			`Server unreachable at ${relayUrl} (${why}).`,
			"Check that the relay is running (npm start) and the --server URL / FRIENDLY_SERVER, then try again.",
			{ relayUrl },
		);
	}
	await response.body?.cancel();
	if (!response.ok) {
		throw new CliError(
			EXIT_CODES.serverUnreachable,
			"relay_unreachable",
			`The server at ${relayUrl} answered HTTP ${response.status}: it does not look like a FriendLy relay.`,
			"Check the --server URL.",
			{ relayUrl },
		);
	}
}
