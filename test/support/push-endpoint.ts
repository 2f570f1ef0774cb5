// A local stand-in for a push service (RFC 8030), for tests that cannot reach FCM or Mozilla: an http
// server on 127.0.0.1 that hands out subscriptions it holds the browser-side keys of, and checks every
// push it receives the way a push service and a browser would together:
// - the VAPID token (RFC 8292): `vapid t=<JWT>, k=<key>`, ES256 under the relay's configured public key,
//   `aud` = this endpoint's origin, `exp` in the future and at most 24 h away, `sub` a mailto:/https: URL;
// - the headers: TTL, Topic (≤ 32 base64url characters), Content-Encoding aes128gcm;
// - the body (RFC 8291 + RFC 8188), decrypted with its own decoder written on node:crypto, independent
//   of the library the relay encrypts with.
// A push that fails a check is recorded with its problems and answered 400. Otherwise the server
// answers what the test asked for (201 by default; 404, 410, 429, 500 on demand, or no answer at all).
import {
	createDecipheriv,
	createECDH,
	createHmac,
	createPublicKey,
	type KeyObject,
	randomBytes,
	verify,
} from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { PushSubscriptionBody } from "../../protocol/wire/index.ts";

export interface ReceivedPush {
	subscription: string;
	/** What the server answered. */
	status: number;
	at: number;
	ttl: string | undefined;
	topic: string | undefined;
	urgency: string | undefined;
	/** The decrypted payload (UTF-8), or null when it could not be decrypted. */
	payload: string | null;
	/** Size of the encrypted body on the wire. */
	bodyBytes: number;
	/** Everything that was wrong with the push; empty for a correct one. */
	problems: string[];
}

export interface PushEndpoint {
	origin: string;
	/** A new subscription at this service, as a browser's PushManager would hand it out. */
	subscribe(): PushSubscriptionBody;
	/**
	 * The status the next pushes to `endpoint` get (each entry answers one push; the last one repeats).
	 * `NO_ANSWER` keeps the request open without answering, like a push service that hangs.
	 */
	answer(endpoint: string, ...statuses: number[]): void;
	received(endpoint?: string): ReceivedPush[];
	/** Waits until `count` pushes (to `endpoint`, or any) have arrived; throws after `timeoutMs`. */
	waitFor(count: number, endpoint?: string, timeoutMs?: number): Promise<ReceivedPush[]>;
	close(): Promise<void>;
}

interface Held {
	ecdh: ReturnType<typeof createECDH>;
	publicKey: Buffer;
	auth: Buffer;
	answers: number[];
}

const MAX_BODY_BYTES = 8192;
/** An answer that never comes: the request is recorded and left open until the server closes. */
export const NO_ANSWER = 0;
const DAY_S = 24 * 3600;

export async function startPushEndpoint(options: { vapidPublicKey: string }): Promise<PushEndpoint> {
	const vapidKey = rawP256PublicKey(Buffer.from(options.vapidPublicKey, "base64url"));
	const held = new Map<string, Held>();
	const received: ReceivedPush[] = [];
	const waiters = new Set<() => void>();
	let origin = "";

	const server: Server = createServer((request, response) => {
		void readBody(request).then((body) => {
			const endpoint = `${origin}${request.url ?? ""}`;
			const subscription = held.get(endpoint);
			if (request.method !== "POST" || !subscription || body === null) {
				response.writeHead(subscription ? 400 : 404).end();
				return;
			}
			const problems: string[] = [];
			checkVapid(request.headers.authorization, origin, vapidKey, options.vapidPublicKey, problems);
			const ttl = header(request, "ttl");
			const topic = header(request, "topic");
			if (ttl === undefined || !/^[0-9]+$/.test(ttl)) problems.push(`TTL missing or malformed: ${ttl}`);
			if (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(topic))
				problems.push(`Topic malformed: ${topic}`);
			if (header(request, "content-encoding") !== "aes128gcm")
				problems.push(`Content-Encoding is ${header(request, "content-encoding")}, not aes128gcm`);
			const payload = decryptAes128gcm(body, subscription, problems);
			const status =
				problems.length > 0
					? 400
					: subscription.answers.length > 1
						? (subscription.answers.shift() as number)
						: (subscription.answers[0] ?? 201);
			received.push({
				subscription: endpoint,
				status,
				at: Date.now(),
				ttl,
				topic,
				urgency: header(request, "urgency"),
				payload,
				bodyBytes: body.length,
				problems,
			});
			if (status !== NO_ANSWER) response.writeHead(status).end();
			for (const wake of waiters) wake();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	if (typeof address !== "object" || address === null) throw new Error("push endpoint did not listen");
	origin = `http://127.0.0.1:${address.port}`;

	const matching = (endpoint?: string) =>
		received.filter((push) => endpoint === undefined || push.subscription === endpoint);

	return {
		origin,
		subscribe() {
			const ecdh = createECDH("prime256v1");
			const publicKey = ecdh.generateKeys();
			const auth = randomBytes(16);
			const endpoint = `${origin}/push/${randomBytes(12).toString("base64url")}`;
			held.set(endpoint, { ecdh, publicKey, auth, answers: [] });
			return {
				endpoint,
				keys: { p256dh: publicKey.toString("base64url"), auth: auth.toString("base64url") },
			};
		},
		answer(endpoint, ...statuses) {
			const subscription = held.get(endpoint);
			if (!subscription) throw new Error("not a subscription of this push endpoint");
			subscription.answers = statuses;
		},
		received: (endpoint) => matching(endpoint),
		async waitFor(count, endpoint, timeoutMs = 10_000) {
			const deadline = Date.now() + timeoutMs;
			while (matching(endpoint).length < count) {
				const left = deadline - Date.now();
				if (left <= 0)
					throw new Error(`expected ${count} pushes, got ${matching(endpoint).length} in ${timeoutMs} ms`);
				await new Promise<void>((resolve) => {
					const wake = () => {
						waiters.delete(wake);
						clearTimeout(timer);
						resolve();
					};
					const timer = setTimeout(wake, left);
					waiters.add(wake);
				});
			}
			return matching(endpoint);
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

function header(request: IncomingMessage, name: string): string | undefined {
	const value = request.headers[name];
	return Array.isArray(value) ? value.join(",") : value;
}

async function readBody(request: IncomingMessage): Promise<Buffer | null> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request) {
		size += (chunk as Buffer).length;
		if (size > MAX_BODY_BYTES) return null;
		chunks.push(chunk as Buffer);
	}
	return Buffer.concat(chunks);
}

function rawP256PublicKey(point: Buffer): KeyObject {
	if (point.length !== 65 || point[0] !== 0x04)
		throw new Error("VAPID public key is not an uncompressed point");
	return createPublicKey({
		key: {
			kty: "EC",
			crv: "P-256",
			x: point.subarray(1, 33).toString("base64url"),
			y: point.subarray(33).toString("base64url"),
		},
		format: "jwk",
	});
}

/** RFC 8292 §3: `vapid t=<JWT>, k=<public key>`; the JWT per RFC 7519 with ES256 (RFC 7518 §3.4). */
function checkVapid(
	authorization: string | undefined,
	origin: string,
	vapidKey: KeyObject,
	vapidPublicKey: string,
	problems: string[],
): void {
	const match = /^vapid t=([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+), ?k=([A-Za-z0-9_-]+)$/.exec(
		authorization ?? "",
	);
	if (!match) {
		problems.push(`Authorization is not a vapid header: ${authorization}`);
		return;
	}
	const [, header64, claims64, signature64, key] = match as unknown as [
		string,
		string,
		string,
		string,
		string,
	];
	if (key !== vapidPublicKey) problems.push("k= is not the relay's configured VAPID public key");
	const signed = Buffer.from(`${header64}.${claims64}`);
	const signature = Buffer.from(signature64, "base64url");
	if (
		signature.length !== 64 ||
		!verify("sha256", signed, { key: vapidKey, dsaEncoding: "ieee-p1363" }, signature)
	)
		problems.push("the VAPID JWT's ES256 signature does not verify under the configured public key");
	let header: unknown;
	let claims: unknown;
	try {
		header = JSON.parse(Buffer.from(header64, "base64url").toString("utf8"));
		claims = JSON.parse(Buffer.from(claims64, "base64url").toString("utf8"));
	} catch {
		problems.push("the VAPID JWT's header or claims are not JSON");
		return;
	}
	if (!isRecord(header) || header.alg !== "ES256")
		problems.push(`JWT alg is not ES256: ${JSON.stringify(header)}`);
	if (!isRecord(claims)) {
		problems.push("JWT claims are not an object");
		return;
	}
	if (claims.aud !== origin)
		problems.push(`JWT aud ${String(claims.aud)} is not the endpoint origin ${origin}`);
	const now = Date.now() / 1000;
	if (typeof claims.exp !== "number" || claims.exp <= now || claims.exp > now + DAY_S)
		problems.push(`JWT exp ${String(claims.exp)} is not within the next 24 hours`);
	if (typeof claims.sub !== "string" || !/^(mailto:|https:)/.test(claims.sub))
		problems.push(`JWT sub ${String(claims.sub)} is not a mailto: or https: contact`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hmac(key: Buffer, ...data: Buffer[]): Buffer {
	const mac = createHmac("sha256", key);
	for (const part of data) mac.update(part);
	return mac.digest();
}

/**
 * RFC 8291 §3.4 key derivation and RFC 8188 §2 decryption of the one record a push carries: header
 * salt(16) | rs(4) | idlen(1) | keyid (the sender's ephemeral public key), then the record, whose
 * plaintext ends with the last-record delimiter 0x02 followed by zero padding.
 */
function decryptAes128gcm(body: Buffer, held: Held, problems: string[]): string | null {
	if (body.length < 21) {
		problems.push("body shorter than the aes128gcm header");
		return null;
	}
	const salt = body.subarray(0, 16);
	const recordSize = body.readUInt32BE(16);
	const idLength = body[20] as number;
	const senderPublic = body.subarray(21, 21 + idLength);
	const record = body.subarray(21 + idLength);
	if (idLength !== 65 || senderPublic[0] !== 0x04) {
		problems.push(`keyid is not an uncompressed P-256 point (${idLength} bytes)`);
		return null;
	}
	if (recordSize < 18 || record.length > recordSize || record.length < 17) {
		problems.push(`record of ${record.length} bytes does not fit record size ${recordSize}`);
		return null;
	}
	let shared: Buffer;
	try {
		shared = held.ecdh.computeSecret(senderPublic);
	} catch {
		problems.push("the sender's public key is not on P-256");
		return null;
	}
	const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), held.publicKey, senderPublic]);
	const ikm = hmac(hmac(held.auth, shared), keyInfo, Buffer.from([1]));
	const prk = hmac(salt, ikm);
	const cek = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0"), Buffer.from([1])).subarray(0, 16);
	const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0"), Buffer.from([1])).subarray(0, 12);
	let plain: Buffer;
	try {
		const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
		decipher.setAuthTag(record.subarray(record.length - 16));
		plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
	} catch {
		problems.push("the record does not decrypt (wrong keys or tampered)");
		return null;
	}
	let end = plain.length - 1;
	while (end >= 0 && plain[end] === 0) end -= 1;
	if (end < 0 || plain[end] !== 0x02) {
		problems.push("the record does not end with the last-record delimiter 0x02");
		return null;
	}
	return plain.subarray(0, end).toString("utf8");
}
