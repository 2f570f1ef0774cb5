// Baseline 1 of the relay benchmark: the cheapest relay with FriendLy's routing shape, to show what the
// platform itself costs. One Durable Object per phone (getByName), the WebSocket accepted with the
// hibernation API, ping auto-answered, a send handed to the recipient's object by RPC, pushed to the
// recipient's socket, and answered `sent` to the sender. It speaks the same frames as FriendLy's relay
// (hello/ready/drained, send/sent, message, ack) so the same client harness drives it, but it checks
// no token, stores nothing (a message for an offline phone is dropped and answered "queued"), keeps
// no order chain and sends no receipts. Plain JavaScript so the Node tsconfig does not typecheck it
// against the workers runtime types; it is bundled by wrangler like any Worker. With USAGE_METER=log it
// counts its billed usage with FriendLy's meter (the cost section's baseline), otherwise it does nothing
// more.
import { DurableObject } from "cloudflare:workers";
import { UsageMeter } from "../../worker/durable-objects/usage-meter.ts";

export class PlainPhone extends DurableObject {
	constructor(ctx, env) {
		super(ctx, env);
		this.seq = 0;
		this.meter = env.USAGE_METER === "log" ? new UsageMeter() : null;
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
	}

	metered(kind, work) {
		return this.meter ? this.meter.event(kind, work) : work();
	}

	async fetch(request) {
		return this.metered("request", async () => this.accept(request));
	}

	accept(request) {
		const phone = request.headers.get("x-phone") ?? "";
		const pair = new WebSocketPair();
		this.ctx.acceptWebSocket(pair[1]);
		pair[1].serializeAttachment({ phone, ready: false });
		return new Response(null, { status: 101, webSocket: pair[0] });
	}

	/** Called by the sender's object. */
	async deliver(from, id, body, sentAt) {
		return this.metered("request", async () => this.pushMessage(from, id, body, sentAt));
	}

	pushMessage(from, id, body, sentAt) {
		for (const ws of this.ctx.getWebSockets()) {
			const attachment = ws.deserializeAttachment();
			if (!attachment?.ready) continue;
			this.seq += 1;
			try {
				ws.send(JSON.stringify({ type: "message", seq: this.seq, from, id, body, sentAt }));
				return "live";
			} catch {
				return "queued";
			}
		}
		return "queued";
	}

	async webSocketMessage(ws, message) {
		return this.metered("webSocketMessage", () => this.onMessage(ws, message));
	}

	async onMessage(ws, message) {
		if (typeof message !== "string") return;
		let frame;
		try {
			frame = JSON.parse(message);
		} catch {
			return;
		}
		const attachment = ws.deserializeAttachment() ?? { phone: "", ready: false };
		if (frame.type === "hello") {
			ws.serializeAttachment({ phone: attachment.phone, ready: true });
			ws.send(JSON.stringify({ type: "ready", protocol: 1, phone: attachment.phone, pending: 0 }));
			ws.send('{"type":"drained"}');
			return;
		}
		if (frame.type === "send" && attachment.ready) {
			const delivery = await this.env.PHONE.getByName(frame.to).deliver(
				attachment.phone,
				frame.id,
				frame.body,
				Date.now(),
			);
			ws.send(JSON.stringify({ type: "sent", id: frame.id, to: frame.to, delivery }));
		}
		// Acks: nothing is stored, so nothing to remove.
	}

	async webSocketClose(ws, code) {
		return this.metered("webSocketMessage", async () => {
			try {
				ws.close(code === 1005 || code === 1006 ? 1000 : code, "closed");
			} catch {
				// Already closed.
			}
		});
	}
}

export default {
	async fetch(request, env) {
		const url = new URL(request.url);
		if (url.pathname === "/healthz") return Response.json({ ok: true, protocol: 1 });
		const match = /^\/v1\/connect\/([^/]+)$/.exec(url.pathname);
		if (!match || request.headers.get("upgrade")?.toLowerCase() !== "websocket")
			return new Response("not found", { status: 404 });
		const phone = decodeURIComponent(match[1]);
		const headers = new Headers(request.headers);
		headers.set("x-phone", phone);
		return env.PHONE.getByName(phone).fetch(new Request(request, { headers }));
	},
};
