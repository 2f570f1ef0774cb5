// The protocol suites again in Node, with the node:crypto backend (node-crypto/backend.ts) and its
// ML-KEM-768 backend (node-crypto/ml-kem.ts: liboqs decapsulation) selected instead of WebCrypto and
// noble, as the CLI selects them: conformance (Wycheproof, ML-KEM-768's included, RFC 5869, Cobblestone's
// Wycheproof vectors), the known-answer tests (the same bytes as WebCrypto's, which is what lets the two
// backends interoperate), tamper and the interaction suites (session, trust, suite 2). Left to node.test.ts (WebCrypto only):
// encoding (no cryptography), prekey hygiene and the randomized fuzz runs (state-machine coverage that
// the backend does not change; the interaction suites already drive every primitive). A vitest file is its
// own module instance, so the selection does not leak into other files.
import { afterAll, describe, expect, it } from "vitest";
import { nodeCryptoBackend } from "../../node-crypto/backend.ts";
import { nodeMlKemBackend } from "../../node-crypto/ml-kem.ts";
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

it("decapsulates on liboqs to noble's keys, implicit rejection included", async () => {
	const random = (length: number) => crypto.getRandomValues(new Uint8Array(length));
	for (let i = 0; i < 16; i++) {
		const pair = await nobleMlKemBackend.keyPair(random(64));
		const sent = await nobleMlKemBackend.encapsulate(pair.publicKey, random(32));
		expect(await nodeMlKemBackend.decapsulate(sent.ciphertext, pair.secretKey)).toEqual(sent.sharedSecret);
		// A wrong ciphertext yields the rejection key J(z || c), the same in both implementations.
		const wrong = sent.ciphertext.slice();
		wrong[i * 67] = (wrong[i * 67] ?? 0) ^ 1;
		const rejected = await nodeMlKemBackend.decapsulate(wrong, pair.secretKey);
		expect(rejected).toEqual(await nobleMlKemBackend.decapsulate(wrong, pair.secretKey));
		expect(rejected).not.toEqual(sent.sharedSecret);
	}
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
