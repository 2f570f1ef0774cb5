// Locating the Wycheproof vectors from Node: test/vectors/wycheproof in the repository (the files the
// suites use, copied with their LICENSE and source commit: see the README there), or
// FRIENDLY_WYCHEPROOF_DIR. Every clone runs them; a missing file fails its cases, never skips them.
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
	"mlkem_768_keygen_seed_test.json",
	"mlkem_768_test.json",
	"mlkem_768_encaps_test.json",
	"mlkem_768_semi_expanded_decaps_test.json",
	"c2sp_chunked_encryption_aes_256_gcm_test.json",
] as const;

export function wycheproofDir(): string {
	return process.env.FRIENDLY_WYCHEPROOF_DIR ?? resolve(repoRoot, "test/vectors/wycheproof");
}

/** Reads a vector file; throws (fails the case) when it is missing. */
export function readWycheproofFile(file: string): unknown {
	const path = resolve(wycheproofDir(), file);
	if (!existsSync(path)) {
		throw new Error(
			`Wycheproof vector file ${path} is missing: it ships in test/vectors/wycheproof (or set FRIENDLY_WYCHEPROOF_DIR)`,
		);
	}
	return JSON.parse(readFileSync(path, "utf8"));
}

export function wycheproofEnv(runtime: TestEnv["runtime"]): TestEnv {
	return { runtime, loadWycheproof: async (file) => readWycheproofFile(file) };
}
