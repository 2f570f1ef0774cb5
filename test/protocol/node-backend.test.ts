// The protocol suites again in Node, with the node:crypto backend (node-crypto/backend.ts) selected
// instead of WebCrypto: conformance (Wycheproof but ML-KEM, RFC 5869, Cobblestone's Wycheproof vectors), the
// known-answer tests (the same bytes as WebCrypto's, which is what lets the two backends interoperate),
// tamper and the interaction suites (session, trust, suite 2). Left to node.test.ts (WebCrypto only):
// encoding (no cryptography), prekey hygiene and the randomized fuzz runs (state-machine coverage that
// the backend does not change; the interaction suites already drive every primitive). A vitest file is its
// own module instance, so the selection does not leak into other files.
import { afterAll, describe, expect, it } from "vitest";
import { nodeCryptoBackend } from "../../node-crypto/backend.ts";
import { cryptoBackend, setCryptoBackend } from "../../protocol/crypto/backend.ts";
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
// The node project reuses its test processes across files (isolate: false): leave the default behind.
afterAll(() => setCryptoBackend(webCryptoBackend));

it("runs with the node:crypto backend selected", () => {
	expect(cryptoBackend().name).toBe("node");
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
			// ML-KEM-768 is pure JavaScript behind its own door (protocol/crypto/ml-kem.ts), the same code
			// whichever backend is selected: node.test.ts runs its vectors; not repeated here.
			if (name.startsWith("ML-KEM-768")) continue;
			it(name, () => run(wycheproofEnv("node")));
		}
	});
}
