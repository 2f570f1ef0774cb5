// A man in the middle between clients and the real relay: a loopback proxy (node:http + ws) that
// forwards every HTTP request and WebSocket frame, and lets a test act as a malicious relay — rewrite
// prekey bundles, and drop, hold, reorder, duplicate, replay, inject or rewrite frames in either
// direction. It is an attacker, not a fake: everything it does not touch is the real relay's answer.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import { PrekeyBundle, parseJson, ServerFrame } from "../../protocol/wire/index.ts";

/** One proxied WebSocket connection, for injecting frames. */
export interface ProxiedConnection {
	/** The phone in the connect URL. */
	readonly phone: string;
	toClient(text: string): void;
	toRelay(text: string): void;
}

/** Returns the frames to forward instead of `text` ([] drops it), or undefined to forward it unchanged. */
export type FrameRule = (text: string, connection: ProxiedConnection) => string[] | undefined;

export interface MitmRelay {
	readonly url: string;
	/** Rewrites relay → client frames. */
	serverFrames: FrameRule | null;
	/** Rewrites client → relay frames. */
	clientFrames: FrameRule | null;
	/** Rewrites a successful GET /v1/keys/:phone answer (the bundle a client is about to trust). */
	bundles: ((bundle: PrekeyBundle) => unknown) | null;
	/** Open connections, newest last. */
	connections(phone?: string): ProxiedConnection[];
	/** Cuts every connection abruptly (clients see an abnormal close and reconnect). */
	cutAll(): void;
	close(): Promise<void>;
}

/** A relay → client frame, parsed with the wire schema (null for anything else). */
export function serverFrame(text: string): ServerFrame | null {
	const parsed = parseJson(ServerFrame, text, 4 << 20);
	return parsed.ok ? parsed.value : null;
}

const HOP_BY_HOP = new Set([
	"host",
	"connection",
	"content-length",
	"transfer-encoding",
	"keep-alive",
	"upgrade",
]);

function sendable(code: number): number {
	return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

export async function startMitmRelay(relayUrl: string): Promise<MitmRelay> {
	const upstream = relayUrl.replace(/\/+$/, "");
	const open = new Set<{ connection: ProxiedConnection; client: WebSocket; relay: WebSocket }>();
	const sockets = new Set<Socket>();

	const forwardHttp = async (request: IncomingMessage, response: ServerResponse) => {
		const chunks: Buffer[] = [];
		for await (const chunk of request) chunks.push(Buffer.from(chunk));
		const headers = new Headers();
		for (const [name, value] of Object.entries(request.headers)) {
			if (HOP_BY_HOP.has(name) || value === undefined) continue;
			headers.set(name, Array.isArray(value) ? value.join(", ") : value);
		}
		const method = request.method ?? "GET";
		const path = request.url ?? "/";
		let answer: Response;
		try {
			answer = await fetch(`${upstream}${path}`, {
				method,
				headers,
				...(chunks.length > 0 && method !== "GET" && method !== "HEAD"
					? { body: Buffer.concat(chunks) }
					: {}),
			});
		} catch {
			response.writeHead(502).end();
			return;
		}
		let body = await answer.text();
		if (mitm.bundles && method === "GET" && /^\/v1\/keys\/[^/]+$/.test(path) && answer.ok) {
			const parsed = parseJson(PrekeyBundle, body, 1 << 20);
			if (parsed.ok) body = JSON.stringify(mitm.bundles(parsed.value));
		}
		const out: Record<string, string> = {};
		answer.headers.forEach((value, name) => {
			if (!HOP_BY_HOP.has(name) && name !== "content-encoding") out[name] = value;
		});
		response.writeHead(answer.status, out).end(body);
	};

	const server = createServer((request, response) => {
		forwardHttp(request, response).catch(() => {
			if (!response.headersSent) response.writeHead(502);
			response.end();
		});
	});
	server.on("connection", (socket) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
	});
	const wss = new WebSocketServer({ noServer: true });

	server.on("upgrade", (request, socket, head) => {
		wss.handleUpgrade(request, socket, head, (client) => {
			const path = request.url ?? "/";
			const phone = decodeURIComponent(path.split("/").pop() ?? "");
			const relay = new WebSocket(`${upstream.replace(/^http/, "ws")}${path}`);
			const early: { data: RawData; binary: boolean }[] = [];
			const connection: ProxiedConnection = {
				phone,
				toClient: (text) => {
					if (client.readyState === WebSocket.OPEN) client.send(text);
				},
				toRelay: (text) => {
					if (relay.readyState === WebSocket.OPEN) relay.send(text);
				},
			};
			const entry = { connection, client, relay };
			open.add(entry);
			const forwardToRelay = (data: RawData, binary: boolean) => {
				if (binary) {
					relay.send(data);
					return;
				}
				const text = data.toString();
				const replaced = mitm.clientFrames?.(text, connection);
				for (const frame of replaced ?? [text]) relay.send(frame);
			};
			client.on("message", (data, binary) => {
				if (relay.readyState === WebSocket.OPEN) forwardToRelay(data, binary);
				else early.push({ data, binary });
			});
			relay.on("open", () => {
				for (const { data, binary } of early.splice(0)) forwardToRelay(data, binary);
			});
			relay.on("message", (data, binary) => {
				if (client.readyState !== WebSocket.OPEN) return;
				if (binary) {
					client.send(data);
					return;
				}
				const text = data.toString();
				const replaced = mitm.serverFrames?.(text, connection);
				for (const frame of replaced ?? [text]) client.send(frame);
			});
			const finish = () => open.delete(entry);
			relay.on("close", (code, reason) => {
				finish();
				if (code === 1006) client.terminate();
				else client.close(sendable(code), reason.toString());
			});
			client.on("close", (code, reason) => {
				finish();
				if (relay.readyState === WebSocket.CONNECTING) relay.terminate();
				else relay.close(sendable(code), reason.toString());
			});
			relay.on("error", () => client.terminate());
			client.on("error", () => relay.terminate());
		});
	});

	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	const port = typeof address === "object" && address ? (address satisfies AddressInfo).port : 0;

	const mitm: MitmRelay = {
		url: `http://127.0.0.1:${port}`,
		serverFrames: null,
		clientFrames: null,
		bundles: null,
		connections: (phone) =>
			[...open].map((e) => e.connection).filter((c) => phone === undefined || c.phone === phone),
		cutAll: () => {
			for (const { client, relay } of open) {
				client.terminate();
				relay.terminate();
			}
			open.clear();
		},
		close: async () => {
			mitm.cutAll();
			wss.close();
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
	return mitm;
}
