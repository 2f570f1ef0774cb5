// Conformance of every primitive wrapper against Project Wycheproof (C2SP/wycheproof testvectors_v1).
// Each case runs a whole file through OUR wrappers (protocol/crypto/*.ts), not through WebCrypto
// directly: valid vectors must give the expected output, invalid ones must be rejected.
// "acceptable" vectors (none in these files) would be allowed either way.

import * as v from "valibot";
import { aesGcmDecrypt, aesGcmEncrypt, importAesKey } from "../../protocol/crypto/aes-gcm.ts";
import { ecdh, importEcdhPublicKey } from "../../protocol/crypto/ecdh.ts";
import { importEcdsaPublicKey, verify } from "../../protocol/crypto/ecdsa.ts";
import { hkdfSha256 } from "../../protocol/crypto/hkdf.ts";
import { hmacSha256, hmacSha256Verify, importHmacSha256Key } from "../../protocol/crypto/hmac.ts";
import {
	checkMlKemPublicKey,
	generateMlKemKeyPair,
	mlKemDecapsulate,
	mlKemEncapsulate,
} from "../../protocol/crypto/ml-kem.ts";
import { importP256KeyPair } from "../../protocol/crypto/p256.ts";
import { decodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { concatBytes } from "../../protocol/encoding/bytes.ts";
import { isProtocolError } from "../../protocol/session/index.ts";
import { AssertionFailed, assert, assertEqual, fromHex, hex, type Suite, type TestEnv } from "./harness.ts";

const Result = v.picklist(["valid", "invalid", "acceptable"]);
const Base = { tcId: v.number(), comment: v.string(), flags: v.array(v.string()), result: Result };

function file<S extends v.GenericSchema>(schema: S) {
	return v.object({ algorithm: v.string(), numberOfTests: v.number(), testGroups: v.array(schema) });
}

async function load<S extends v.GenericSchema>(
	env: TestEnv,
	name: string,
	schema: S,
): Promise<v.InferOutput<S>> {
	const data = await env.loadWycheproof(name);
	const parsed = v.safeParse(schema, data);
	if (!parsed.success) {
		const issue = parsed.issues[0];
		const path = issue.path?.map((item) => String(item.key)).join(".") ?? "";
		throw new AssertionFailed(`${name} does not have the expected shape (${path}: ${issue.message})`);
	}
	return parsed.output;
}

class Tally {
	valid = 0;
	invalid = 0;
	readonly failures: string[] = [];
	fail(id: number, what: string) {
		this.failures.push(`tcId ${id}: ${what}`);
	}
	check(name: string, minimum: number) {
		if (this.failures.length > 0) {
			throw new AssertionFailed(
				`${name}: ${this.failures.length} failures\n${this.failures.slice(0, 10).join("\n")}`,
			);
		}
		assert(this.valid + this.invalid >= minimum, `${name}: only ${this.valid + this.invalid} vectors ran`);
	}
}

const AesGcmFile = file(
	v.object({
		ivSize: v.number(),
		keySize: v.number(),
		tagSize: v.number(),
		tests: v.array(
			v.object({
				...Base,
				key: v.string(),
				iv: v.string(),
				aad: v.string(),
				msg: v.string(),
				ct: v.string(),
				tag: v.string(),
			}),
		),
	}),
);

const EcdhJwk = v.object({
	kty: v.string(),
	crv: v.string(),
	x: v.optional(v.string()),
	y: v.optional(v.string()),
	d: v.optional(v.string()),
});
const EcdhFile = file(
	v.object({
		curve: v.string(),
		encoding: v.string(),
		tests: v.array(v.object({ ...Base, public: EcdhJwk, private: EcdhJwk, shared: v.string() })),
	}),
);

const EcdsaFile = file(
	v.object({
		publicKey: v.object({ uncompressed: v.string() }),
		sha: v.string(),
		tests: v.array(v.object({ ...Base, msg: v.string(), sig: v.string() })),
	}),
);

const HkdfFile = file(
	v.object({
		tests: v.array(
			v.object({
				...Base,
				ikm: v.string(),
				salt: v.string(),
				info: v.string(),
				size: v.number(),
				okm: v.string(),
			}),
		),
	}),
);

const HmacFile = file(
	v.object({
		keySize: v.number(),
		tagSize: v.number(),
		tests: v.array(v.object({ ...Base, key: v.string(), msg: v.string(), tag: v.string() })),
	}),
);

/** The ML-KEM files leave `comment` or `flags` out where they would be empty. */
const MlKemBase = {
	tcId: v.number(),
	comment: v.optional(v.string(), ""),
	flags: v.optional(v.array(v.string()), []),
	result: Result,
};

const MlKemKeyGenFile = file(
	v.object({
		parameterSet: v.literal("ML-KEM-768"),
		tests: v.array(v.object({ ...MlKemBase, seed: v.string(), ek: v.string(), dk: v.string() })),
	}),
);

const MlKemFile = file(
	v.object({
		parameterSet: v.literal("ML-KEM-768"),
		tests: v.array(
			v.object({ ...MlKemBase, seed: v.string(), ek: v.optional(v.string()), c: v.string(), K: v.string() }),
		),
	}),
);

const MlKemEncapsFile = file(
	v.object({
		parameterSet: v.literal("ML-KEM-768"),
		tests: v.array(v.object({ ...MlKemBase, ek: v.string(), m: v.string(), c: v.string(), K: v.string() })),
	}),
);

const MlKemDecapsFile = file(
	v.object({
		parameterSet: v.literal("ML-KEM-768"),
		tests: v.array(
			v.object({ ...MlKemBase, dk: v.string(), c: v.string(), ek: v.string(), K: v.optional(v.string()) }),
		),
	}),
);

/** A JWK public key as the SEC1 point our wrappers take; null when it cannot be one (wrong curve, lengths). */
function jwkToPoint(jwk: v.InferOutput<typeof EcdhJwk>): Uint8Array<ArrayBuffer> | null {
	if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.x || !jwk.y) return null;
	const x = decodeBase64Url(jwk.x);
	const y = decodeBase64Url(jwk.y);
	if (x?.length !== 32 || y?.length !== 32) return null;
	return concatBytes(Uint8Array.of(4), x, y);
}

async function rejects(operation: () => Promise<unknown>): Promise<boolean> {
	try {
		await operation();
		return false;
	} catch (error) {
		if (isProtocolError(error)) return true;
		throw error;
	}
}

export const wycheproofSuite: Suite = {
	name: "wycheproof",
	cases: {
		"AES-256-GCM and AES-128-GCM, 96-bit IV groups; other IV and key sizes refused": async (env) => {
			const data = await load(env, "aes_gcm_test.json", AesGcmFile);
			const tally = new Tally();
			let refused = 0;
			for (const group of data.testGroups) {
				const usable =
					group.ivSize === 96 && group.tagSize === 128 && (group.keySize === 256 || group.keySize === 128);
				for (const t of group.tests) {
					const key = fromHex(t.key);
					const iv = fromHex(t.iv);
					if (!usable) {
						// Our wrapper must refuse these parameters outright (non-96-bit nonces, 192-bit keys).
						const refusedHere =
							(await rejects(() => importAesKey(key))) ||
							(await rejects(async () =>
								aesGcmEncrypt(await importAesKey(key), iv, fromHex(t.msg), fromHex(t.aad)),
							));
						if (!refusedHere)
							tally.fail(t.tcId, `ivSize ${group.ivSize} keySize ${group.keySize} was accepted`);
						refused++;
						continue;
					}
					const cryptoKey = await importAesKey(key);
					const sealed = fromHex(t.ct + t.tag);
					const opened = await aesGcmDecrypt(cryptoKey, iv, sealed, fromHex(t.aad));
					if (t.result === "valid") {
						tally.valid++;
						if (!opened || hex(opened) !== t.msg) tally.fail(t.tcId, "valid ciphertext did not decrypt");
						const encrypted = await aesGcmEncrypt(cryptoKey, iv, fromHex(t.msg), fromHex(t.aad));
						if (hex(encrypted) !== t.ct + t.tag) tally.fail(t.tcId, "encryption differs");
					} else if (t.result === "invalid") {
						tally.invalid++;
						if (opened) tally.fail(t.tcId, `invalid ciphertext accepted (${t.flags.join(",")})`);
					}
				}
			}
			tally.check("AES-GCM", 130);
			assert(refused > 100, "non-96-bit / 192-bit groups were exercised");
		},

		"ECDH P-256 (webcrypto encoding) including invalid-curve points": async (env) => {
			const data = await load(env, "ecdh_secp256r1_webcrypto_test.json", EcdhFile);
			const tally = new Tally();
			for (const group of data.testGroups) {
				for (const t of group.tests) {
					const d = t.private.d ? decodeBase64Url(t.private.d) : null;
					const ownPoint = jwkToPoint(t.private);
					if (!d || !ownPoint) throw new AssertionFailed(`tcId ${t.tcId}: bad private key in the vector`);
					const own = await importP256KeyPair("ECDH", d, ownPoint, false);
					const peerPoint = jwkToPoint(t.public);
					let shared: Uint8Array | null = null;
					if (peerPoint) {
						try {
							shared = await ecdh(own.privateKey, await importEcdhPublicKey(peerPoint));
						} catch (error) {
							if (!isProtocolError(error, "invalid_key")) throw error;
						}
					}
					if (t.result === "valid") {
						tally.valid++;
						if (!shared || hex(shared) !== t.shared)
							tally.fail(t.tcId, `shared secret differs (${t.comment})`);
					} else if (t.result === "invalid") {
						tally.invalid++;
						if (shared) tally.fail(t.tcId, `invalid public key accepted (${t.flags.join(",")})`);
					}
				}
			}
			tally.check("ECDH", 350);
		},

		"ECDSA P-256 / SHA-256, P1363 signatures": async (env) => {
			const data = await load(env, "ecdsa_secp256r1_sha256_p1363_test.json", EcdsaFile);
			const tally = new Tally();
			for (const group of data.testGroups) {
				assertEqual(group.sha, "SHA-256", "hash");
				const key = await importEcdsaPublicKey(fromHex(group.publicKey.uncompressed));
				for (const t of group.tests) {
					const ok = await verify(key, fromHex(t.sig), fromHex(t.msg));
					if (t.result === "valid") {
						tally.valid++;
						if (!ok) tally.fail(t.tcId, `valid signature rejected (${t.comment})`);
					} else if (t.result === "invalid") {
						tally.invalid++;
						if (ok) tally.fail(t.tcId, `invalid signature accepted (${t.flags.join(",")})`);
					}
				}
			}
			tally.check("ECDSA", 260);
		},

		"HKDF-SHA-256 (includes RFC 5869 cases 1-3; oversize requests refused)": async (env) => {
			const data = await load(env, "hkdf_sha256_test.json", HkdfFile);
			const tally = new Tally();
			for (const group of data.testGroups) {
				for (const t of group.tests) {
					let okm: Uint8Array | null = null;
					try {
						okm = await hkdfSha256(fromHex(t.ikm), fromHex(t.salt), fromHex(t.info), t.size);
					} catch (error) {
						if (!isProtocolError(error, "invalid_argument")) throw error;
					}
					if (t.result === "valid") {
						tally.valid++;
						if (!okm || hex(okm) !== t.okm) tally.fail(t.tcId, "okm differs");
					} else if (t.result === "invalid") {
						tally.invalid++;
						if (okm) tally.fail(t.tcId, `invalid request accepted (${t.flags.join(",")})`);
					}
				}
			}
			tally.check("HKDF", 86);
		},

		"HMAC-SHA-256, full and truncated tags": async (env) => {
			const data = await load(env, "hmac_sha256_test.json", HmacFile);
			const tally = new Tally();
			for (const group of data.testGroups) {
				for (const t of group.tests) {
					const key = await importHmacSha256Key(fromHex(t.key));
					const message = fromHex(t.msg);
					const tag = fromHex(t.tag);
					let ok: boolean;
					if (group.tagSize === 256) {
						ok = await hmacSha256Verify(key, message, tag);
					} else {
						// Truncated-tag groups: compare the leading tagSize bits of our full tag.
						const full = await hmacSha256(key, message);
						ok = hex(full.subarray(0, group.tagSize / 8)) === t.tag;
					}
					if (t.result === "valid") {
						tally.valid++;
						if (!ok) tally.fail(t.tcId, "valid tag rejected");
						if (group.tagSize === 256 && hex(await hmacSha256(key, message)) !== t.tag)
							tally.fail(t.tcId, "tag differs");
					} else if (t.result === "invalid") {
						tally.invalid++;
						if (ok) tally.fail(t.tcId, "modified tag accepted");
					}
				}
			}
			tally.check("HMAC", 170);
		},

		"ML-KEM-768 key generation from seeds (FIPS 203)": async (env) => {
			const data = await load(env, "mlkem_768_keygen_seed_test.json", MlKemKeyGenFile);
			const tally = new Tally();
			for (const group of data.testGroups) {
				for (const t of group.tests) {
					const pair = await generateMlKemKeyPair(fromHex(t.seed));
					assertEqual(t.result, "valid", "every key-generation vector is valid");
					tally.valid++;
					if (hex(pair.publicKey) !== t.ek) tally.fail(t.tcId, "encapsulation key differs");
					if (hex(pair.secretKey) !== t.dk) tally.fail(t.tcId, "decapsulation key differs");
				}
			}
			tally.check("ML-KEM keygen", 100);
		},

		"ML-KEM-768 seed, decapsulation and implicit rejection; bad lengths refused": async (env) => {
			const data = await load(env, "mlkem_768_test.json", MlKemFile);
			const tally = new Tally();
			for (const group of data.testGroups) {
				for (const t of group.tests) {
					let shared: Uint8Array | null = null;
					let publicKey: Uint8Array | null = null;
					try {
						const pair = await generateMlKemKeyPair(fromHex(t.seed));
						publicKey = pair.publicKey;
						shared = await mlKemDecapsulate(fromHex(t.c), pair.secretKey);
					} catch (error) {
						if (!isProtocolError(error)) throw error;
					}
					if (t.result === "valid") {
						tally.valid++;
						if (!shared || hex(shared) !== t.K) tally.fail(t.tcId, `shared secret differs (${t.comment})`);
						if (t.ek !== undefined && (!publicKey || hex(publicKey) !== t.ek))
							tally.fail(t.tcId, "encapsulation key differs");
					} else if (t.result === "invalid") {
						tally.invalid++;
						if (shared) tally.fail(t.tcId, `invalid input accepted (${t.comment})`);
					}
				}
			}
			tally.check("ML-KEM", 190);
		},

		"ML-KEM-768 encapsulation, including the modulus check": async (env) => {
			const data = await load(env, "mlkem_768_encaps_test.json", MlKemEncapsFile);
			const tally = new Tally();
			for (const group of data.testGroups) {
				for (const t of group.tests) {
					let out: { ciphertext: Uint8Array; sharedSecret: Uint8Array } | null = null;
					try {
						out = await mlKemEncapsulate(fromHex(t.ek), fromHex(t.m));
					} catch (error) {
						if (!isProtocolError(error, "invalid_key")) throw error;
					}
					// The relay's cheap key check (no encapsulation) must agree with the vectors too.
					const checked = checkMlKemPublicKey(fromHex(t.ek));
					if (t.result === "valid") {
						tally.valid++;
						if (!out || hex(out.ciphertext) !== t.c || hex(out.sharedSecret) !== t.K)
							tally.fail(t.tcId, `encapsulation differs (${t.comment})`);
						if (!checked) tally.fail(t.tcId, "checkMlKemPublicKey refused a valid key");
					} else if (t.result === "invalid") {
						tally.invalid++;
						if (out) tally.fail(t.tcId, `invalid encapsulation key accepted (${t.flags.join(",")})`);
						if (checked) tally.fail(t.tcId, "checkMlKemPublicKey accepted an invalid key");
					}
				}
			}
			tally.check("ML-KEM encaps", 260);
		},

		"ML-KEM-768 decapsulation-key and ciphertext validation": async (env) => {
			const data = await load(env, "mlkem_768_semi_expanded_decaps_test.json", MlKemDecapsFile);
			const tally = new Tally();
			for (const group of data.testGroups) {
				for (const t of group.tests) {
					let shared: Uint8Array | null = null;
					try {
						shared = await mlKemDecapsulate(fromHex(t.c), fromHex(t.dk));
					} catch (error) {
						if (!isProtocolError(error)) throw error;
					}
					if (t.result === "valid") {
						tally.valid++;
						if (!shared || hex(shared) !== t.K) tally.fail(t.tcId, `shared secret differs (${t.comment})`);
					} else if (t.result === "invalid") {
						tally.invalid++;
						if (shared) tally.fail(t.tcId, `invalid input accepted (${t.flags.join(",")})`);
					}
				}
			}
			tally.check("ML-KEM decaps", 9);
		},
	},
};

// RFC 5869 Appendix A, the SHA-256 cases (A.1-A.3), independent of the Wycheproof files.
const RFC5869 = [
	{
		name: "A.1 basic",
		ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		salt: "000102030405060708090a0b0c",
		info: "f0f1f2f3f4f5f6f7f8f9",
		length: 42,
		okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
	},
	{
		name: "A.2 longer inputs",
		ikm: Array.from({ length: 80 }, (_, i) => i.toString(16).padStart(2, "0")).join(""),
		salt: Array.from({ length: 80 }, (_, i) => (0x60 + i).toString(16).padStart(2, "0")).join(""),
		info: Array.from({ length: 80 }, (_, i) => (0xb0 + i).toString(16).padStart(2, "0")).join(""),
		length: 82,
		okm:
			"b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09" +
			"da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
	},
	{
		name: "A.3 zero-length salt and info",
		ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		salt: "",
		info: "",
		length: 42,
		okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
	},
];

export const rfc5869Suite: Suite = {
	name: "rfc5869",
	cases: Object.fromEntries(
		RFC5869.map((c) => [
			`HKDF-SHA-256 RFC 5869 ${c.name}`,
			async () => {
				const okm = await hkdfSha256(fromHex(c.ikm), fromHex(c.salt), fromHex(c.info), c.length);
				assertEqual(hex(okm), c.okm, c.name);
			},
		]),
	),
};
