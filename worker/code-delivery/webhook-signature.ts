// Webhook signature: "v1=" + hex(HMAC-SHA-256(secret, timestamp + "." + body)). Receivers recompute it
// and reject requests older than 5 minutes (docs/DEPLOY.md shows a verifier).
import { utf8 } from "../../protocol/encoding/bytes.ts";

export async function signWebhook(secret: string, timestamp: string, body: string): Promise<string> {
	const key = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, [
		"sign",
	]);
	const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(`${timestamp}.${body}`)));
	return `v1=${Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
