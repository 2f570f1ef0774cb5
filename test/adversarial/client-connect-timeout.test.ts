// A relay that accepts the TCP connection but never answers the WebSocket handshake (a relay process
// still starting after a crash, a half-open connection): the client abandons the attempt after its
// connect timeout and tries again, instead of staying offline for good. Found by the SIGKILL test in
// faults.test.ts; fixed in protocol/client/relay-connection.ts (connectTimeoutMs).
import { createServer, type Socket } from "node:net";
import { expect, it } from "vitest";
import { type ConnectionState, RelayConnection } from "../../protocol/client/index.ts";

it("a handshake that is never answered is abandoned after the connect timeout and retried", async () => {
	const accepted: Socket[] = [];
	const blackHole = createServer((socket) => {
		accepted.push(socket);
	});
	await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
	const address = blackHole.address();
	const port = typeof address === "object" && address ? address.port : 0;
	const states: { state: ConnectionState; detail: string }[] = [];
	const connection = new RelayConnection({
		url: `ws://127.0.0.1:${port}/v1/connect/%2B15555557999`,
		token: "not-a-real-token",
		connectTimeoutMs: 300,
		maxBackoffMs: 200,
		handlers: { message: () => undefined, state: (state, detail) => states.push({ state, detail }) },
	});
	connection.start();
	const deadline = Date.now() + 10_000;
	while (accepted.length < 3 && Date.now() < deadline)
		await new Promise((resolve) => setTimeout(resolve, 50));
	connection.stop();
	for (const socket of accepted) socket.destroy();
	await new Promise<void>((resolve) => blackHole.close(() => resolve()));
	expect(accepted.length).toBeGreaterThanOrEqual(3);
	expect(
		states.some((s) => s.state === "offline" && s.detail.startsWith("the relay did not answer in time")),
	).toBe(true);
	expect(states.at(-1)?.state).toBe("stopped");
});
