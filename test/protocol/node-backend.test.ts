// The protocol suites again in Node, with the node:crypto backend (node-crypto/backend.ts) and its
// ML-KEM-768 backend (node-crypto/ml-kem.ts: liboqs decapsulation) selected instead of WebCrypto and
// noble, as the CLI selects them: conformance (Wycheproof, ML-KEM-768's included, RFC 5869, Cobblestone's
// Wycheproof vectors), the known-answer tests (the same bytes as WebCrypto's, which is what lets the two
// backends interoperate), tamper and the interaction suites (session, trust, suite 2). Left to node.test.ts (WebCrypto only):
// encoding (no cryptography), prekey hygiene and the randomized fuzz runs (state-machine coverage that
// the backend does not change; the interaction suites already drive every primitive). A vitest file is its
// own module instance, so the selection does not leak into other files.
import nodeCrypto from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { nodeCryptoBackend } from "../../node-crypto/backend.ts";
import { nodeMlKemBackend, seeded } from "../../node-crypto/ml-kem.ts";
import { cryptoBackend, setCryptoBackend } from "../../protocol/crypto/backend.ts";
import { nobleMlKemBackend, setMlKemBackend } from "../../protocol/crypto/ml-kem.ts";
import { webCryptoBackend } from "../../protocol/crypto/webcrypto.ts";
import { chunkedAeadSuite } from "./chunked-aead.suite.ts";
import type { Suite } from "./harness.ts";
import { katSuite } from "./kat.suite.ts";
import { sessionSuite } from "./session.suite.ts";
import { suite2Suite } from "./suite2.suite.ts";
import { tamperSuite } from "./tamper.suite.ts";
import { trustSuite } from "./trust.suite.ts";
import { wycheproofEnv } from "./vectors.node.ts";
import { rfc5869Suite, wycheproofSuite } from "./wycheproof.suite.ts";

setCryptoBackend(nodeCryptoBackend);
const noble = setMlKemBackend(nodeMlKemBackend);
// The node project reuses its test processes across files (isolate: false): leave the defaults behind.
afterAll(() => {
	setCryptoBackend(webCryptoBackend);
	setMlKemBackend(noble);
});

it("runs with the node:crypto backend selected", () => {
	expect(cryptoBackend().name).toBe("node");
});

it("liboqs (the node ML-KEM backend) and noble agree: keys, encapsulations, implicit rejection", async () => {
	const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));
	for (let i = 0; i < 16; i++) {
		const seed = random(64);
		const pair = await nodeMlKemBackend.keyPair(seed);
		expect(pair).toEqual(await nobleMlKemBackend.keyPair(seed));
		const message = random(32);
		const sent = await nodeMlKemBackend.encapsulate(pair.publicKey, message);
		expect(sent).toEqual(await nobleMlKemBackend.encapsulate(pair.publicKey, message));
		expect(await nodeMlKemBackend.decapsulate(sent.ciphertext, pair.secretKey)).toEqual(sent.sharedSecret);
		// A wrong ciphertext yields the rejection key J(z || c), the same in both implementations.
		const wrong = sent.ciphertext.slice();
		wrong[i * 67] = (wrong[i * 67] ?? 0) ^ 1;
		const rejected = await nodeMlKemBackend.decapsulate(wrong, pair.secretKey);
		expect(rejected).toEqual(await nobleMlKemBackend.decapsulate(wrong, pair.secretKey));
		expect(rejected).not.toEqual(sent.sharedSecret);
	}
});

it("feeds liboqs its FIPS 203 seed once, fails closed otherwise, and restores randomFillSync", async () => {
	const real = nodeCrypto.randomFillSync;
	const seed = Uint8Array.of(1, 2, 3, 4);
	let drawn: Uint8Array[] = [];
	/** A stand-in for a liboqs call that draws random bytes of these sizes and succeeds. */
	const drawing =
		(...lengths: number[]) =>
		() => {
			drawn = lengths.map((length) => nodeCrypto.randomFillSync(new Uint8Array(length)));
			return 0;
		};
	expect(seeded(seed, drawing(4))).toBe(0);
	expect(drawn).toEqual([seed]);
	// A second draw, a draw of another size, an unused seed: real random bytes, then an error.
	expect(() => seeded(seed, drawing(4, 4))).toThrow("exactly the FIPS 203 seed");
	expect(drawn[1]).not.toEqual(seed);
	expect(() => seeded(seed, drawing(8))).toThrow("exactly the FIPS 203 seed");
	expect(drawn[0]).not.toEqual(new Uint8Array(8));
	expect(() => seeded(seed, () => 0)).toThrow("exactly the FIPS 203 seed");
	// A failed call reports its status (its output is not used); a throwing one still restores.
	expect(seeded(seed, () => -1)).toBe(-1);
	expect(() =>
		seeded(seed, () => {
			throw new Error("inside");
		}),
	).toThrow("inside");
	expect(nodeCrypto.randomFillSync).toBe(real);
	// And after real operations, including a refused key (Wycheproof's modulus overflow: 0xFFF).
	await nodeMlKemBackend.keyPair(new Uint8Array(64));
	await expect(
		nodeMlKemBackend.encapsulate(new Uint8Array(1184).fill(0xff), new Uint8Array(32)),
	).rejects.toThrow("refused the encapsulation key");
	expect(nodeCrypto.randomFillSync).toBe(real);
});

const suites: readonly Suite[] = [
	wycheproofSuite,
	rfc5869Suite,
	chunkedAeadSuite,
	katSuite,
	sessionSuite,
	trustSuite,
	tamperSuite,
	suite2Suite,
];

for (const suite of suites) {
	describe(`${suite.name} (node:crypto)`, () => {
		for (const [name, run] of Object.entries(suite.cases)) {
			it(name, () => run(wycheproofEnv("node")));
		}
	});
}
