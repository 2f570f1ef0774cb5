// Every protocol suite, in run order. Imported by the Node runner and bundled for Chromium.
import type { Suite } from "./harness.ts";
import { sessionSuite } from "./session.suite.ts";

export const suites: readonly Suite[] = [sessionSuite];
