// Locating the Wycheproof vectors from Node: ../shared/vectors/wycheproof beside the repository, or
// FRIENDLY_WYCHEPROOF_DIR. They are never copied into the repository.
// Missing vectors: in CI (CI=true) the conformance cases run and FAIL with a clear message; elsewhere
// they are skipped with a loud console message (the only skip the suite allows).
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestEnv } from "./harness.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const WYCHEPROOF_FILES = [
	"aes_gcm_test.json",
	"ecdh_secp256r1_webcrypto_test.json",
	"ecdsa_secp256r1_sha256_p1363_test.json",
	"hkdf_sha256_test.json",
	"hmac_sha256_test.json",
] as const;

export function wycheproofDir(): string {
	return process.env.FRIENDLY_WYCHEPROOF_DIR ?? resolve(repoRoot, "../shared/vectors/wycheproof");
}

export type VectorStatus = { kind: "present"; dir: string } | { kind: "fail" | "skip"; reason: string };

let announced = false;

export function vectorStatus(): VectorStatus {
	const dir = wycheproofDir();
	const missing = WYCHEPROOF_FILES.filter((file) => !existsSync(resolve(dir, file)));
	if (missing.length === 0) return { kind: "present", dir };
	const reason = `${missing.join(", ")} not found in ${dir} (set FRIENDLY_WYCHEPROOF_DIR)`;
	if (process.env.CI === "true") return { kind: "fail", reason };
	if (!announced) {
		announced = true;
		console.warn(
			`\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
				`!!! WYCHEPROOF CONFORMANCE TESTS DID NOT RUN: ${reason}\n` +
				`!!! The primitive wrappers are NOT checked against the Wycheproof vectors in this run.\n` +
				`!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`,
		);
	}
	return { kind: "skip", reason };
}

/** Reads a vector file; throws (fails the case) when it is missing, e.g. in CI. */
export function readWycheproofFile(file: string): unknown {
	const path = resolve(wycheproofDir(), file);
	if (!existsSync(path)) {
		throw new Error(
			`Wycheproof vector file ${path} is missing: CI needs ../shared/vectors/wycheproof beside the clone`,
		);
	}
	return JSON.parse(readFileSync(path, "utf8"));
}

export function wycheproofEnv(runtime: TestEnv["runtime"]): TestEnv {
	return { runtime, loadWycheproof: async (file) => readWycheproofFile(file) };
}
