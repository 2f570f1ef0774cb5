// Every protocol suite, in run order. Imported by the Node runner and bundled for Chromium.
import { chunkedAeadSuite } from "./chunked-aead.suite.ts";
import { encodingSuite } from "./encoding.suite.ts";
import { fuzzSuite } from "./fuzz.suite.ts";
import type { Suite } from "./harness.ts";
import { katSuite } from "./kat.suite.ts";
import { prekeyHygieneSuite } from "./prekey-hygiene.suite.ts";
import { sessionSuite } from "./session.suite.ts";
import { suite2Suite } from "./suite2.suite.ts";
import { tamperSuite } from "./tamper.suite.ts";
import { trustSuite } from "./trust.suite.ts";
import { rfc5869Suite, wycheproofSuite } from "./wycheproof.suite.ts";

export const suites: readonly Suite[] = [
	wycheproofSuite,
	rfc5869Suite,
	chunkedAeadSuite,
	encodingSuite,
	katSuite,
	sessionSuite,
	trustSuite,
	prekeyHygieneSuite,
	tamperSuite,
	suite2Suite,
	fuzzSuite,
];
