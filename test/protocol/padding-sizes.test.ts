// What the relay learns of a message's length under suite 2's Padmé padding (docs/SECURITY.md, padding
// row): every text length from 1 to 16,000 characters, encrypted by the library as the messenger does
// (protocol/messenger/content.ts encodeText), gives a handful of envelope sizes, each within Padmé's
// overhead bound; and the largest text the messenger sends, padded and carrying a suite-2 prekey header,
// still fits the relay's 64 KiB envelope limit. Node only: it measures sizes, not runtimes.
import { describe, expect, it } from "vitest";
import { pad, paddedLength, padme, padmeMaxOverhead } from "../../protocol/crypto/padme.ts";
import { decodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { encodeText, MAX_TEXT_CHARS } from "../../protocol/messenger/content.ts";
import { encryptMessage, MAX_PLAINTEXT_BYTES } from "../../protocol/session/index.ts";
import { ratchetEncrypt } from "../../protocol/session/ratchet.ts";
import {
	ENVELOPE_SIGNATURE_BYTES,
	ENVELOPE_TAG_BYTES,
	MAX_ENVELOPE_CIPHERTEXT_BYTES,
	MESSAGE_HEADER_V2_BYTES,
	PREKEY_HEADER_V2_BYTES,
} from "../../protocol/wire/envelope.ts";
import { Directory, makeParty, PHONES, receive, send } from "./fixtures.ts";

/** The relay's default ENVELOPE_MAX_BYTES (worker/config/relay-config.ts), on the decoded body. */
const RELAY_ENVELOPE_MAX_BYTES = 65_536;
/** The largest text content the messenger encrypts: 16,000 characters at 3 UTF-8 bytes, plus JSON. */
const MAX_CONTENT_BYTES = 48_200;
/**
 * Padmé's leak over the 46-16,045-byte plaintexts of these texts (their JSON documents): 2^S sizes per
 * doubling of the length, S = floor(log2 floor(log2 L)) + 1, i.e. 8 below 256 bytes and 16 from there
 * to 16 KiB: 116 sizes in all, over about 8.4 doublings (unpadded: 16,000).
 */
const MAX_DISTINCT_SIZES = 120;

function envelopeBytes(body: string): number {
	const raw = decodeBase64Url(body);
	if (!raw) throw new Error("not base64url");
	return raw.length;
}

describe("suite 2 padding", () => {
	it(`texts of every length 1..${MAX_TEXT_CHARS} show the relay at most ${MAX_DISTINCT_SIZES} envelope sizes, each within Padmé's bound`, async () => {
		const directory = new Directory();
		const alice = await makeParty(PHONES.alice, directory);
		const bob = await makeParty(PHONES.bob, directory);
		// Past setup: follow-up messages, the header every message but the first few carries.
		await receive(bob, await send(alice, bob, "setup"));
		await receive(alice, await send(bob, alice, "reply"));
		const sizes = new Map<number, number[]>();
		const at = Date.UTC(2026, 11, 1);
		const record = await alice.stores.sessions.loadSessionRecord(bob.phone);
		const state = record?.sessions[0];
		if (!state) throw new Error("no session");
		const text = "a".repeat(MAX_TEXT_CHARS);
		const fixed = MESSAGE_HEADER_V2_BYTES + ENVELOPE_TAG_BYTES + ENVELOPE_SIGNATURE_BYTES;
		const plaintexts = Array.from({ length: MAX_TEXT_CHARS }, (_, i) => encodeText(text.slice(0, i + 1), at));
		let worst = 0;
		for (const [i, plaintext] of plaintexts.entries()) {
			// The padding ratchetEncrypt applies (pure and synchronous, so all 16,000 run in milliseconds).
			const padded = pad(plaintext);
			const overhead = padded.length - plaintext.length;
			// At least the 0x80 marker; at most Padmé's rounding on top of it.
			expect(overhead).toBeGreaterThanOrEqual(1);
			expect(overhead - 1).toBeLessThanOrEqual(padmeMaxOverhead(plaintext.length + 1));
			expect(padded.length).toBe(padme(plaintext.length + 1));
			worst = Math.max(worst, overhead / plaintext.length);
			const size = fixed + padded.length;
			sizes.set(size, [...(sizes.get(size) ?? []), i + 1]);
		}
		// The library's real envelopes have exactly these sizes: the ratchet's encryption at both ends of
		// every size class (without committing, so all from one chain step), and whole sends now and then.
		const edges = [...sizes.values()].flatMap((lengths) => [lengths[0] ?? 1, lengths.at(-1) ?? 1]);
		for (const length of edges) {
			const plaintext = plaintexts[length - 1] ?? new Uint8Array();
			const sealed = await ratchetEncrypt(state, new Uint8Array(plaintext), undefined);
			const size = sealed.headerBytes.length + sealed.ciphertext.length + ENVELOPE_SIGNATURE_BYTES;
			expect(sizes.get(size)).toContain(length);
		}
		for (const length of [1, 999, 5000, MAX_TEXT_CHARS]) {
			const plaintext = plaintexts[length - 1] ?? new Uint8Array();
			const body = await encryptMessage(alice.context, { to: bob.phone, id: `p${length}`, plaintext });
			expect(sizes.get(envelopeBytes(body))).toContain(length);
		}
		// Without padding the relay would see 16,000 distinct sizes; with it, Padmé's classes.
		expect(sizes.size).toBeLessThanOrEqual(MAX_DISTINCT_SIZES);
		expect(sizes.size).toBeGreaterThan(1);
		// Relative overhead: at most 2^-S, i.e. 12.5 % below 256 bytes and 6.25 % up to 64 KiB.
		expect(worst).toBeLessThanOrEqual(0.125);
		console.log(
			`padding: ${sizes.size} envelope sizes for ${MAX_TEXT_CHARS} text lengths, worst overhead ${(worst * 100).toFixed(1)} %`,
		);
	}, 120_000);

	it(`the largest text (${MAX_CONTENT_BYTES} bytes) padded, with a suite-2 prekey header, fits ${RELAY_ENVELOPE_MAX_BYTES} bytes`, async () => {
		const directory = new Directory();
		const alice = await makeParty(PHONES.alice, directory);
		const bob = await makeParty(PHONES.bob, directory);
		// The worst case: 16,000 three-byte characters, as the messenger encodes them.
		const content = encodeText("€".repeat(MAX_TEXT_CHARS), Number.MAX_SAFE_INTEGER);
		expect(content.length).toBeLessThanOrEqual(MAX_CONTENT_BYTES);
		const plaintext = new Uint8Array(MAX_CONTENT_BYTES).fill(0x61);
		const first = await send(alice, bob, "x");
		const body = await encryptMessage(alice.context, { to: bob.phone, id: "largest", plaintext });
		expect(decodeBase64Url(body)?.[1]).toBe(2); // still a prekey message: Bob has not answered
		const size = envelopeBytes(body);
		expect(size).toBe(
			PREKEY_HEADER_V2_BYTES +
				paddedLength(MAX_CONTENT_BYTES) +
				ENVELOPE_TAG_BYTES +
				ENVELOPE_SIGNATURE_BYTES,
		);
		expect(size).toBeLessThanOrEqual(RELAY_ENVELOPE_MAX_BYTES);
		console.log(`padding: a ${MAX_CONTENT_BYTES}-byte text with a prekey header is a ${size}-byte envelope`);
		expect(await receive(bob, first)).toBe("x");
	});

	it("MAX_PLAINTEXT_BYTES is the largest plaintext whose padded envelope ciphertext fits", () => {
		expect(paddedLength(MAX_PLAINTEXT_BYTES) + ENVELOPE_TAG_BYTES).toBeLessThanOrEqual(
			MAX_ENVELOPE_CIPHERTEXT_BYTES,
		);
		expect(paddedLength(MAX_PLAINTEXT_BYTES + 1) + ENVELOPE_TAG_BYTES).toBeGreaterThan(
			MAX_ENVELOPE_CIPHERTEXT_BYTES,
		);
	});
});
