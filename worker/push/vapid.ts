// VAPID (RFC 8292): a JWT signed with the relay's P-256 key, proving to the push service which
// application server sends (and letting it reach the operator through `sub`). Written here rather than
// taken from the push library because the library refuses non-https endpoints, and the local push
// service the tests start is plain http on 127.0.0.1 (allowed outside production only).
import { decodeBase64Url, encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import type { PushConfig } from "./push-config.ts";

/** RFC 8292 §2: at most 24 hours; push services reject tokens that live longer. */
const TOKEN_LIFETIME_S = 12 * 3600;

const utf8 = new TextEncoder();

function base64UrlJson(value: unknown): string {
	return encodeBase64Url(utf8.encode(JSON.stringify(value)));
}

export async function importVapidKey(push: PushConfig): Promise<CryptoKey> {
	const point = decodeBase64Url(push.vapidPublicKey);
	if (!point) throw new Error("VAPID public key is not base64url");
	return crypto.subtle.importKey(
		"jwk",
		{
			kty: "EC",
			crv: "P-256",
			x: encodeBase64Url(point.slice(1, 33)),
			y: encodeBase64Url(point.slice(33, 65)),
			d: push.vapidPrivateKey,
		},
		{ name: "ECDSA", namedCurve: "P-256" },
		false,
		["sign"],
	);
}

/** The Authorization header value for a push to `endpoint` (RFC 8292 §3: `vapid t=<jwt>, k=<key>`). */
export async function vapidAuthorization(
	endpoint: URL,
	push: PushConfig,
	key: CryptoKey,
	nowMs: number,
): Promise<string> {
	const signingInput = `${base64UrlJson({ typ: "JWT", alg: "ES256" })}.${base64UrlJson({
		aud: endpoint.origin,
		exp: Math.floor(nowMs / 1000) + TOKEN_LIFETIME_S,
		sub: push.vapidSubject,
	})}`;
	// WebCrypto's ECDSA signature is r || s, which is JWS's ES256 form (RFC 7518 §3.4).
	const signature = await crypto.subtle.sign(
		{ name: "ECDSA", hash: "SHA-256" },
		key,
		utf8.encode(signingInput),
	);
	return `vapid t=${signingInput}.${encodeBase64Url(new Uint8Array(signature))}, k=${push.vapidPublicKey}`;
}
