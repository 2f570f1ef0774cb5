// Baseline 2 of the relay benchmark: a plain Node `ws` relay in one process, the loopback limit of this
// machine for the bench's client harness. It speaks FriendLy's frames (hello/ready/drained, send/sent,
// message, ack, ping/pong) so the same harness drives it, with no auth, storage, crypto or receipts: a
// send is pushed to the recipient's socket if connected (else dropped, answered "queued").
// Run by the bench as a child process: `node --import tsx bench/baseline-ws/server.ts <port>`.
import { createServer } from "node:http";
import { type WebSocket, WebSocketServer } from "ws";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error("usage: server.ts <port>");

const sockets = new Map<string, WebSocket>();
let seq = 0;

const http = createServer((request, response) => {
	if (request.url === "/healthz") {
		response.writeHead(200, { "content-type": "application/json" });
		response.end('{"ok":true,"protocol":1}');
		return;
	}
	response.writeHead(404);
	response.end();
});
const wss = new WebSocketServer({ noServer: true });

http.on("upgrade", (request, socket, head) => {
	const match = /^\/v1\/connect\/([^/]+)$/.exec(request.url ?? "");
	if (!match?.[1]) {
		socket.destroy();
		return;
	}
	const phone = decodeURIComponent(match[1]);
	wss.handleUpgrade(request, socket, head, (ws) => {
		let ready = false;
		ws.on("message", (data, isBinary) => {
			if (isBinary) return;
			const text = String(data);
			if (text === '{"type":"ping"}') {
				ws.send('{"type":"pong"}');
				return;
			}
			let frame: { type?: string; to?: string; id?: string; body?: string };
			try {
				frame = JSON.parse(text);
			} catch {
				return;
			}
			if (frame.type === "hello") {
				ready = true;
				sockets.get(phone)?.close(4000, "replaced");
				sockets.set(phone, ws);
				ws.send(JSON.stringify({ type: "ready", protocol: 1, phone, pending: 0 }));
				ws.send('{"type":"drained"}');
				return;
			}
			if (frame.type === "send" && ready && frame.to && frame.id) {
				const target = sockets.get(frame.to);
				let delivery = "queued";
				if (target) {
					seq += 1;
					target.send(
						JSON.stringify({
							type: "message",
							seq,
							from: phone,
							id: frame.id,
							body: frame.body,
							sentAt: Date.now(),
						}),
					);
					delivery = "live";
				}
				ws.send(JSON.stringify({ type: "sent", id: frame.id, to: frame.to, delivery }));
			}
		});
		ws.on("close", () => {
			if (sockets.get(phone) === ws) sockets.delete(phone);
		});
	});
});

http.listen(port, "127.0.0.1");
process.on("SIGTERM", () => {
	for (const ws of wss.clients) ws.terminate();
	http.close();
	process.exit(0);
});
