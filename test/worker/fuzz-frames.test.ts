// Property-based fuzzing of the relay's WebSocket and HTTP input with fast-check, inside workerd
// against the real Worker and Durable Objects (issue 7, "Frames").
//
// Random and mutated frames — wrong types, huge and deeply nested JSON, prototype-pollution keys,
// binary where text is expected, over-limit sizes — go to an authenticated socket, to fresh
// unauthenticated sockets, and to the HTTP routes. Asserted for every one: the relay answers with a
// typed error frame of the expected code (or a 4xx with a typed error body; never 5xx), the fuzzing
// socket keeps working, a legitimate conversation between two other users runs unaffected meanwhile,
// and the stored state of the phones involved is byte-for-byte unchanged.
//
// Fast mode (npm test): a few thousand frames. Soak (npm run test:soak, VITE_FRIENDLY_SOAK=1): ≥100,000.
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64UrlDecodedLength } from "../../protocol/encoding/base64url.ts";
import {
	ClientFrame,
	ErrorBody,
	PING_TEXT,
	parseJson,
	RELAY_ERROR_CODES,
	type RelayErrorCode,
	type ServerFrame,
} from "../../protocol/wire/index.ts";
import { call } from "./helpers/http.ts";
import { newPhone } from "./helpers/phones.ts";
import { type Registered, register, registerWithKeys, stubOf } from "./helpers/register.ts";
import { connectDrained, messageId, openSocket, randomBody, type TestSocket } from "./helpers/socket.ts";

declare global {
	interface ImportMeta {
		/** Vite's environment: VITE_-prefixed variables of the process that runs vitest. */
		readonly env: Readonly<Record<string, string | undefined>>;
	}
}

const SOAK = import.meta.env.VITE_FRIENDLY_SOAK === "1";
/** Frames to the authenticated socket. */
const AUTH_FRAMES = SOAK ? 100_000 : 2_000;
/** First frames on fresh unauthenticated sockets. */
const UNAUTH_SOCKETS = SOAK ? 2_000 : 60;
const HTTP_REQUESTS = SOAK ? 5_000 : 150;
const BATCH = 100;
/** Per-test time limit (the workers project's default of 15 s is for single cases). */
const TEST_TIMEOUT_MS = SOAK ? 1_800_000 : 120_000;
/** Legitimate messages interleaved with the fuzzing (kept under the per-pair send burst of 60). */
const LEGIT_MESSAGES = 40;

/** The relay's frame ceiling with the default ENVELOPE_MAX_BYTES (65536) and 2048 chars of overhead. */
const ENVELOPE_MAX_BYTES = 65_536;
const MAX_FRAME_CHARS = Math.ceil((ENVELOPE_MAX_BYTES * 4) / 3) + 2048;

type Fuzzed = { kind: "text"; text: string } | { kind: "binary"; bytes: Uint8Array };

/**
 * Every row of every table of a phone's object, but the seq high-water (`mailbox_seq`): every
 * authenticated connection the fuzz opens reserves its block of seqs there (worker/phone/mailbox.ts),
 * which the hello does, not the fuzzed frames.
 */
async function snapshot(phone: string): Promise<string> {
	return runInDurableObject(stubOf(phone), (_instance, state) => {
		const tables = state.storage.sql
			.exec<{ name: string }>(
				"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name",
			)
			.toArray()
			.map((row) => row.name)
			.filter((name) => name !== "mailbox_seq");
		return JSON.stringify(
			tables.map((table) => [table, state.storage.sql.exec(`SELECT * FROM "${table}"`).toArray()]),
		);
	});
}

/** An own enumerable key, even for "__proto__" (plain assignment would set the prototype instead). */
function withKey(base: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
	const copy: Record<string, unknown> = {};
	for (const [k, val] of Object.entries(base))
		Object.defineProperty(copy, k, { value: val, enumerable: true, configurable: true, writable: true });
	Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
	return copy;
}

function withoutKey(base: Record<string, unknown>, key: string): Record<string, unknown> {
	return Object.fromEntries(Object.entries(base).filter(([k]) => k !== key));
}

const POLLUTING_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];

function frameArbitrary(target: string, foreignSeqs: number[]): fc.Arbitrary<Fuzzed> {
	const text = (t: fc.Arbitrary<string>) => t.map((s): Fuzzed => ({ kind: "text", text: s }));
	const id = fc.oneof(fc.constant(messageId()), fc.string({ maxLength: 80 }));
	const base = fc.oneof(
		fc.record({
			type: fc.constant("send"),
			id,
			to: fc.oneof(fc.constant(target), fc.string({ maxLength: 45 })),
			body: fc.oneof(fc.base64String({ maxLength: 64 }), fc.constant(randomBody(32))),
		}),
		fc.record({
			type: fc.constant("ack"),
			seqs: fc.array(fc.oneof(fc.constantFrom(...foreignSeqs), fc.integer({ min: -5, max: 1_000_000 })), {
				maxLength: 600,
			}),
		}),
		fc.record({ type: fc.constant("hello"), protocol: fc.integer({ min: -1, max: 3 }), token: fc.string() }),
		fc.record({ type: fc.constantFrom("ping", "PING", "Send", "", "message", "ready") }),
	);
	const keyName = fc.oneof(
		fc.constantFrom("type", "id", "to", "body", "seqs", "token", "protocol"),
		fc.constantFrom(...POLLUTING_KEYS),
		fc.string({ maxLength: 12 }),
	);
	const mutated = fc
		.tuple(
			base,
			fc.oneof(
				fc.record({ op: fc.constant("set" as const), key: keyName, value: fc.anything({ maxDepth: 3 }) }),
				fc.record({ op: fc.constant("delete" as const), key: keyName }),
				fc.record({ op: fc.constant("none" as const) }),
			),
			fc.oneof(
				fc.constant(null),
				fc.record({
					at: fc.nat(),
					remove: fc.nat({ max: 6 }),
					insert: fc.string({ maxLength: 6, unit: "binary" }),
				}),
			),
		)
		.map(([frame, mutation, edit]): Fuzzed => {
			const object =
				mutation.op === "set"
					? withKey(frame, mutation.key, mutation.value)
					: mutation.op === "delete"
						? withoutKey(frame, mutation.key)
						: frame;
			let serialised = JSON.stringify(object) ?? "";
			if (edit) {
				const at = edit.at % (serialised.length + 1);
				serialised = serialised.slice(0, at) + edit.insert + serialised.slice(at + edit.remove);
			}
			return { kind: "text", text: serialised };
		});
	const pollution = fc
		.tuple(fc.constantFrom(...POLLUTING_KEYS), fc.jsonValue({ maxDepth: 2 }), base)
		.map(([key, value, frame]): Fuzzed => {
			const inner = JSON.stringify(frame).slice(1);
			return { kind: "text", text: `{"${key}":${JSON.stringify({ polluted: value })},${inner}` };
		});
	const deep = fc
		.tuple(
			fc.integer({ min: 1, max: 40_000 }),
			fc.constantFrom("[", '{"a":'),
			fc.constantFrom("body", "seqs", "x"),
		)
		.map(([depth, open, field]): Fuzzed => {
			const close = open === "[" ? "]" : "}";
			return {
				kind: "text",
				text: `{"type":"send","id":"deep","to":"${target}","${field}":${open.repeat(depth)}1${close.repeat(depth)}}`,
			};
		});
	const huge = fc.integer({ min: MAX_FRAME_CHARS - 200, max: MAX_FRAME_CHARS + 4000 }).map(
		(length): Fuzzed => ({
			kind: "text",
			text: `{"type":"send","id":"big","to":"${target}","body":"${"A".repeat(Math.max(0, length - 60))}"}`,
		}),
	);
	const overLimitEnvelope = fc.integer({ min: ENVELOPE_MAX_BYTES + 1, max: ENVELOPE_MAX_BYTES + 1500 }).map(
		(bytes): Fuzzed => ({
			kind: "text",
			text: JSON.stringify({ type: "send", id: messageId(), to: target, body: randomBody(bytes) }),
		}),
	);
	const binary = fc.uint8Array({ maxLength: 300 }).map((bytes): Fuzzed => ({ kind: "binary", bytes }));
	return fc.oneof(
		{ arbitrary: mutated, weight: 40 },
		{ arbitrary: pollution, weight: 8 },
		{ arbitrary: text(fc.string({ maxLength: 200, unit: "binary" })), weight: 10 },
		{ arbitrary: text(fc.json({ maxDepth: 4 })), weight: 10 },
		{ arbitrary: binary, weight: 6 },
		{ arbitrary: deep, weight: 3 },
		{ arbitrary: huge, weight: 1 },
		{ arbitrary: overLimitEnvelope, weight: 1 },
	);
}

/**
 * The answer the protocol (docs/PROTOCOL.md §WebSocket) requires on an authenticated socket, or null
 * for a frame that is valid and would have an effect (a real send, a ping): those are not sent.
 */
function expectedOnReadySocket(frame: Fuzzed): RelayErrorCode | null {
	if (frame.kind === "binary") return "bad_frame";
	if (frame.text.length > MAX_FRAME_CHARS) return "too_large";
	const parsed = parseJson(ClientFrame, frame.text, MAX_FRAME_CHARS);
	if (!parsed.ok) return "bad_frame";
	switch (parsed.value.type) {
		case "hello":
			return "bad_frame";
		case "ack":
		case "discard":
			// The fuzzing phone's mailbox is empty: every seq (including other users' seqs) is unknown.
			return "unknown_message";
		case "send":
			return base64UrlDecodedLength(parsed.value.body) > ENVELOPE_MAX_BYTES ? "too_large" : null;
		case "ping":
			return null;
	}
}

function transmit(socket: TestSocket, frame: Fuzzed): void {
	if (frame.kind === "binary") socket.ws.send(frame.bytes);
	else socket.send(frame.text);
}

function codeOf(frame: ServerFrame): string {
	return frame.type === "error" ? frame.code : `<${frame.type}>`;
}

describe("fuzzed input never crashes the relay, always gets a typed answer and changes nothing", () => {
	let fuzzer: Registered;
	let target: Registered;
	let pending: Registered;
	let sender: Registered;
	let recipient: Registered;
	let foreignSeqs: number[];
	let before: string[];

	beforeAll(async () => {
		fuzzer = await register();
		target = await registerWithKeys(3);
		pending = await register();
		sender = await register();
		recipient = await register();
		// Stored mail in the target's mailbox, so acks of its seqs would have something to remove.
		const { socket } = await connectDrained(sender.phone, sender.token);
		for (let i = 0; i < 3; i++) {
			socket.send({ type: "send", id: messageId(), to: target.phone, body: randomBody() });
			await socket.next("sent");
		}
		socket.close();
		const { backlog, socket: t } = await connectDrained(target.phone, target.token);
		t.close();
		foreignSeqs = backlog.flatMap((frame) => (frame.type === "message" ? [frame.seq] : []));
		expect(foreignSeqs).toHaveLength(3);
		before = await Promise.all([fuzzer, target, pending].map((r) => snapshot(r.phone)));
	});

	afterAll(async () => {
		// Stored state of every phone the fuzz touched is unchanged, and no prototype was polluted.
		const after = await Promise.all([fuzzer, target, pending].map((r) => snapshot(r.phone)));
		expect(after).toEqual(before);
		const polluted = await runInDurableObject(stubOf(fuzzer.phone), () =>
			Object.keys(Object.prototype).concat(Object.keys(Array.prototype)),
		);
		expect(polluted).toEqual([]);
		expect(Object.keys(Object.prototype)).toEqual([]);
	}, TEST_TIMEOUT_MS);

	it(
		`${AUTH_FRAMES} frames on an authenticated socket: one typed error each, the socket and other users' chat keep working`,
		async () => {
			const { socket } = await connectDrained(fuzzer.phone, fuzzer.token);
			const legitSender = (await connectDrained(sender.phone, sender.token)).socket;
			const legitRecipient = (await connectDrained(recipient.phone, recipient.token)).socket;
			const runs = Math.ceil((AUTH_FRAMES * 1.1) / BATCH);
			const legitEvery = Math.max(1, Math.floor(runs / LEGIT_MESSAGES));
			let sent = 0;
			let skipped = 0;
			let legit = 0;
			const answered = new Map<string, number>();
			let run = 0;
			await fc.assert(
				fc.asyncProperty(
					fc.array(frameArbitrary(target.phone, foreignSeqs), { minLength: BATCH, maxLength: BATCH }),
					async (batch) => {
						run += 1;
						const expected: RelayErrorCode[] = [];
						for (const frame of batch) {
							const code = expectedOnReadySocket(frame);
							if (code === null) {
								skipped += 1;
								continue;
							}
							transmit(socket, frame);
							expected.push(code);
						}
						sent += expected.length;
						// Another user's conversation, interleaved with the attack.
						const legitId = run % legitEvery === 0 && legit < LEGIT_MESSAGES ? messageId() : null;
						if (legitId)
							legitSender.send({ type: "send", id: legitId, to: recipient.phone, body: randomBody() });
						const answers = await socket.untilPong();
						expect(answers.map(codeOf)).toEqual(expected);
						for (const code of expected) answered.set(code, (answered.get(code) ?? 0) + 1);
						if (legitId) {
							expect(await legitSender.next("sent")).toMatchObject({ id: legitId, delivery: "live" });
							const message = await legitRecipient.next("message");
							expect(message).toMatchObject({ id: legitId, from: sender.phone });
							legitRecipient.send({ type: "ack", seqs: [message.seq] });
							expect(await legitSender.next("receipt")).toMatchObject({ id: legitId });
							legit += 1;
						}
					},
				),
				{ numRuns: runs, endOnFailure: true },
			);
			// The fuzzed socket still works for a real message.
			const id = messageId();
			socket.send({ type: "send", id, to: recipient.phone, body: randomBody() });
			expect(await socket.next("sent")).toMatchObject({ id });
			// Left unacknowledged, so no receipt changes the fuzzing phone's stored state.
			expect(await legitRecipient.next("message")).toMatchObject({ id, from: fuzzer.phone });
			console.log(
				`fuzz: ${sent} bad frames answered (${[...answered].map(([c, n]) => `${c} ${n}`).join(", ")}), ` +
					`${skipped} valid frames not sent, ${legit} legitimate messages delivered meanwhile`,
			);
			expect(sent).toBeGreaterThanOrEqual(AUTH_FRAMES);
			expect(legit).toBeGreaterThanOrEqual(Math.min(LEGIT_MESSAGES, runs));
			socket.close();
			legitSender.close();
			legitRecipient.close();
		},
		TEST_TIMEOUT_MS,
	);

	it(
		`${UNAUTH_SOCKETS} fuzzed first frames on fresh sockets: typed error, never authenticated`,
		async () => {
			let count = 0;
			await fc.assert(
				fc.asyncProperty(frameArbitrary(pending.phone, foreignSeqs), async (frame) => {
					const socket = await openSocket(pending.phone);
					transmit(socket, frame);
					const answer = await socket.nextAny();
					count += 1;
					// Binary and oversized first frames are not a hello either: unauthenticated, closed 4001.
					const parsed = frame.kind === "text" ? parseJson(ClientFrame, frame.text, MAX_FRAME_CHARS) : null;
					if (frame.kind === "text" && frame.text === PING_TEXT) {
						// The exact keep-alive text is answered by the runtime, even before hello; nothing else is.
						expect(codeOf(answer)).toBe("<pong>");
						socket.close();
					} else if (parsed?.ok && parsed.value.type === "hello" && parsed.value.protocol !== 1) {
						expect(codeOf(answer)).toBe("unsupported_protocol");
						expect((await socket.closeEvent()).code).toBe(4003);
					} else {
						expect(codeOf(answer)).toBe("unauthenticated");
						expect((await socket.closeEvent()).code).toBe(4001);
					}
				}),
				{ numRuns: UNAUTH_SOCKETS, endOnFailure: true },
			);
			expect(count).toBe(UNAUTH_SOCKETS);
		},
		TEST_TIMEOUT_MS,
	);

	it(
		`${HTTP_REQUESTS} fuzzed HTTP requests: never 5xx, every error typed`,
		async () => {
			const unusedPhone = newPhone();
			const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;
			// Mostly the real routes with their own methods (so the handlers, not the router, see the
			// input), and some arbitrary methods and paths.
			const request = fc.oneof(
				{
					weight: 8,
					arbitrary: fc.constantFrom(
						["POST", "/v1/verification/request"],
						["POST", "/v1/verification/confirm"],
						["PUT", "/v1/keys"],
						["GET", "/v1/keys"],
						["GET", `/v1/keys/${encodeURIComponent(target.phone)}`],
						["GET", `/v1/keys/${encodeURIComponent(unusedPhone)}`],
						["DELETE", "/v1/session"],
						["GET", "/v1/keys/%E0%A4%A"],
						["GET", "/v1/keys/..%2F..%2F"],
					),
				},
				{
					weight: 2,
					arbitrary: fc.tuple(
						fc.constantFrom(...METHODS),
						fc.oneof(
							fc.constant("/v1/__proto__"),
							fc.string({ maxLength: 30 }).map((s) => `/v1/${encodeURIComponent(s)}`),
						),
					),
				},
			);
			const body = fc.oneof(
				fc.constant(undefined),
				fc.json({ maxDepth: 3 }),
				fc.string({ maxLength: 100, unit: "binary" }),
				fc
					.record({
						phone: fc.oneof(
							fc.constant(unusedPhone),
							fc.string({ maxLength: 45 }),
							fc.anything({ maxDepth: 1 }),
						),
						code: fc.oneof(fc.stringMatching(/^[0-9]{6}$/), fc.anything({ maxDepth: 1 })),
						extra: fc.anything({ maxDepth: 2 }),
					})
					.chain((record) =>
						fc
							.subarray(Object.keys(record))
							.map((keys) =>
								JSON.stringify(Object.fromEntries(Object.entries(record).filter(([k]) => keys.includes(k)))),
							),
					),
				fc.constantFrom(...POLLUTING_KEYS).map((key) => `{"${key}":{"polluted":1},"phone":"${unusedPhone}"}`),
				fc.integer({ min: 1, max: 20_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
			);
			const statuses = new Map<number, number>();
			await fc.assert(
				fc.asyncProperty(
					request,
					body,
					fc.oneof(fc.constant(undefined), fc.string({ maxLength: 120 }), fc.constant(`${fuzzer.phone}.x`)),
					async ([method, route], payload, token) => {
						const response = await call(route, {
							method,
							...(payload !== undefined && method !== "GET" ? { rawBody: payload } : {}),
							...(token !== undefined ? { token } : {}),
						});
						const text = await response.text();
						statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
						expect(response.status, `${method} ${route}: ${text.slice(0, 200)}`).toBeLessThan(500);
						if (response.status >= 400) {
							const error = parseJson(ErrorBody, text, 1 << 20);
							expect(error.ok, `${method} ${route}: ${text.slice(0, 200)}`).toBe(true);
							if (error.ok) expect(v.is(v.picklist(RELAY_ERROR_CODES), error.value.error.code)).toBe(true);
						}
					},
				),
				{ numRuns: HTTP_REQUESTS, endOnFailure: true },
			);
			console.log(
				`fuzz: ${HTTP_REQUESTS} HTTP requests, statuses ${[...statuses].map(([s, n]) => `${s}×${n}`).join(", ")}`,
			);
		},
		TEST_TIMEOUT_MS,
	);
});

describe("the frame parser's discriminator table", () => {
	it("accepts and rejects exactly what the ClientFrame variant schema does, with the same output", () => {
		let accepted = 0;
		fc.assert(
			fc.property(frameArbitrary("+15555550100", [1, 2, 3]), (frame) => {
				if (frame.kind !== "text") return;
				let data: unknown;
				try {
					data = JSON.parse(frame.text);
				} catch {
					return;
				}
				const fast = parseJson(ClientFrame, frame.text, Number.MAX_SAFE_INTEGER);
				const reference = v.safeParse(ClientFrame, data);
				expect(fast.ok).toBe(reference.success);
				if (fast.ok && reference.success) {
					accepted += 1;
					expect(fast.value).toEqual(reference.output);
				}
			}),
			{ numRuns: SOAK ? 50_000 : 3_000 },
		);
		// The property is only meaningful if valid frames were among the inputs.
		expect(accepted).toBeGreaterThan(50);
	});
});
