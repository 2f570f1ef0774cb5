// Webhook signature: "v1=" + hex(HMAC-SHA-256(secret, timestamp + "." + body)). Receivers recompute it
// and reject requests older than 5 minutes (docs/DEPLOY.md shows a verifier).
import { hmacSha256 } from "../../protocol/crypto/hmac.ts";
import { utf8 } from "../../protocol/encoding/bytes.ts";
import { hmacKey } from "../security/keyed-hash.ts";

export async function signWebhook(secret: string, timestamp: string, body: string): Promise<string> {
	const mac = await hmacSha256(await hmacKey(secret), utf8(`${timestamp}.${body}`));
	return `v1=${Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
