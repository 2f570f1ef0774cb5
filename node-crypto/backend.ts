// The node:crypto backend of protocol/crypto/backend.ts's CryptoBackend, for Node (the CLI, the bench,
// the tests): KeyObjects and synchronous one-shot calls (crypto.sign / verify / diffieHellman /
// createCipheriv / createHmac / hkdfSync / createHash), which skip the thread-pool hop every WebCrypto
// call costs in Node (docs/PERFORMANCE.md §Crypto backends). It lives outside protocol/ because
// protocol/ runs in browsers and workerd too and must not import node: modules.
//
// Keys are NodeKey objects (node-key.ts): the KeyObject stays in a private field, so nothing but this
// file reaches it, and a private key made with extractable = false refuses to export its scalar (the same
// promise a non-extractable CryptoKey makes). Keys made by WebCrypto are accepted too (KeyObject.from),
// so helpers that build keys with crypto.subtle work with either backend.
//
// Results are plain Uint8Arrays on their own ArrayBuffer, never Buffers: a Buffer may be a view into
// Node's shared pool, and Buffer#slice does not copy, which callers that expect Uint8Array semantics
// (okm.slice(0, 32) in x3dh.ts) must not be surprised by.
//
// Byte-for-byte what WebCrypto does, and where node:crypto differs:
// - ECDSA signatures use dsaEncoding "ieee-p1363" (r || s, 64 bytes), WebCrypto's form; the digest is
//   named at each call ("sha256").
// - diffieHellman returns the x-coordinate of the shared point (32 bytes), as WebCrypto's deriveBits(256).
// - A raw public point is imported as JWK {x, y}: OpenSSL refuses a point that is not on the curve
//   (the invalid-curve defence WebCrypto's raw import gives), checked by the Wycheproof ECDH vectors.
// - AES-GCM: the tag is appended to the ciphertext as WebCrypto does; decryption checks the 16-byte tag
//   (setAuthTag with the length fixed, so a truncated tag cannot be accepted) and throws on mismatch.
// - HMAC verify compares with timingSafeEqual after checking the length (it throws on unequal lengths).
// - OpenSSL would use one P-256 key for both ECDH and ECDSA; like WebCrypto, this backend refuses a key
//   made for the other algorithm (x3dh.ts keeps the two identity keys apart on purpose).

import {
	createCipheriv,
	createDecipheriv,
	createECDH,
	createHash,
	createHmac,
	createPrivateKey,
	createPublicKey,
	createSecretKey,
	diffieHellman,
	hkdfSync,
	type KeyObject,
	sign,
	timingSafeEqual,
	verify,
} from "node:crypto";
import type { CryptoBackend, EcKind, HashName } from "../protocol/crypto/backend.ts";
import type { Bytes } from "../protocol/encoding/bytes.ts";
import { ecAlgorithm, hmacHashOf, keyObjectOf, NodeKey } from "./node-key.ts";

const TAG_BYTES = 16;

/** A copy on a fresh ArrayBuffer (see above: never hand out a pooled Buffer). */
const own = (bytes: Uint8Array): Bytes => new Uint8Array(bytes);

const hashName = (hash: HashName): "sha256" | "sha512" => (hash === "SHA-256" ? "sha256" : "sha512");

const privateUsages = (kind: EcKind): KeyUsage[] => (kind === "ECDH" ? ["deriveBits"] : ["sign"]);

/** JWK {x, y} of a 65-byte uncompressed point. */
function pointJwk(point: Bytes) {
	const view = Buffer.from(point.buffer, point.byteOffset, point.byteLength);
	return {
		kty: "EC",
		crv: "P-256",
		x: view.toString("base64url", 1, 33),
		y: view.toString("base64url", 33, 65),
	};
}

/** A 32-byte big-endian field element (JWK members may drop leading zero bytes). */
function fixed(bytes: Uint8Array): Bytes {
	if (bytes.length > 32) throw new TypeError("P-256 coordinate longer than 32 bytes");
	const out = new Uint8Array(32);
	out.set(bytes, 32 - bytes.length);
	return out;
}

function digest(algorithm: HashName, data: Bytes): Bytes {
	return own(createHash(hashName(algorithm)).update(data).digest());
}

function aesSeal(key: CryptoKey, iv: Bytes, additionalData: Bytes, plaintext: Bytes): Bytes {
	const object = aesKey(key);
	const cipher = createCipheriv(aesName(object), object, iv, { authTagLength: TAG_BYTES });
	if (additionalData.length > 0) cipher.setAAD(additionalData);
	const body = cipher.update(plaintext);
	const tail = cipher.final();
	const out = new Uint8Array(body.length + tail.length + TAG_BYTES);
	out.set(body, 0);
	out.set(tail, body.length);
	out.set(cipher.getAuthTag(), body.length + tail.length);
	return out;
}

function aesOpen(key: CryptoKey, iv: Bytes, additionalData: Bytes, sealed: Bytes): Bytes {
	if (sealed.length < TAG_BYTES) throw new Error("AES-GCM input shorter than its tag");
	const object = aesKey(key);
	const split = sealed.length - TAG_BYTES;
	const decipher = createDecipheriv(aesName(object), object, iv, { authTagLength: TAG_BYTES });
	decipher.setAuthTag(sealed.subarray(split));
	if (additionalData.length > 0) decipher.setAAD(additionalData);
	const body = decipher.update(sealed.subarray(0, split));
	const tail = decipher.final(); // throws when the tag does not verify
	if (tail.length === 0) return own(body);
	const out = new Uint8Array(body.length + tail.length);
	out.set(body, 0);
	out.set(tail, body.length);
	return out;
}

function aesKey(key: CryptoKey): KeyObject {
	if (key.algorithm.name !== "AES-GCM") throw new TypeError("not an AES-GCM key");
	return keyObjectOf(key);
}

function aesName(key: KeyObject): "aes-128-gcm" | "aes-256-gcm" {
	const size = key.symmetricKeySize;
	if (size === 32) return "aes-256-gcm";
	if (size === 16) return "aes-128-gcm";
	throw new TypeError("AES-GCM keys are 16 or 32 bytes");
}

/** The KeyObject of a P-256 key made for `kind` (WebCrypto's usage rule: an ECDSA key never does ECDH). */
function ecKey(key: CryptoKey, kind: EcKind): KeyObject {
	if (key.algorithm.name !== kind) throw new TypeError(`not an ${kind} key`);
	return keyObjectOf(key);
}

function hmac(key: CryptoKey, data: Bytes): Buffer {
	return createHmac(hmacHashOf(key), keyObjectOf(key)).update(data).digest();
}

// Each method is async only to fit the interface: the work inside is one synchronous call.
export const nodeCryptoBackend: CryptoBackend = {
	name: "node",
	digest: async (algorithm, data) => digest(algorithm, data),

	async generateEcKeyPair(kind, extractable) {
		// createECDH's key generation plus a JWK import costs about two thirds of generateKeyPairSync plus
		// the public export it needs (measured here: 46-58 vs 56-87 µs); this runs once per DH ratchet step.
		const generator = createECDH("prime256v1");
		const point = own(generator.generateKeys());
		const scalar = generator.getPrivateKey();
		const jwk = { ...pointJwk(point), d: Buffer.from(fixed(scalar)).toString("base64url") };
		scalar.fill(0);
		const object = createPrivateKey({ key: jwk, format: "jwk" });
		return {
			privateKey: new NodeKey(object, ecAlgorithm(kind), extractable, privateUsages(kind)),
			publicKey: point,
		};
	},
	async importEcPublicKey(kind, point) {
		const object = createPublicKey({ key: pointJwk(point), format: "jwk" });
		return new NodeKey(object, ecAlgorithm(kind), true, kind === "ECDH" ? [] : ["verify"]);
	},
	async importEcPrivateKey(kind, scalar, point, extractable) {
		const jwk = { ...pointJwk(point), d: Buffer.from(scalar).toString("base64url") };
		const object = createPrivateKey({ key: jwk, format: "jwk" });
		return new NodeKey(object, ecAlgorithm(kind), extractable, privateUsages(kind));
	},
	async exportEcPrivateScalar(key) {
		if (!key.extractable) throw new TypeError("the key is not extractable");
		const jwk = keyObjectOf(key).export({ format: "jwk" });
		if (typeof jwk.d !== "string") throw new TypeError("not a private EC key");
		return fixed(Buffer.from(jwk.d, "base64url"));
	},
	ecdhDeriveX: async (privateKey, publicKey) =>
		own(diffieHellman({ privateKey: ecKey(privateKey, "ECDH"), publicKey: ecKey(publicKey, "ECDH") })),
	ecdsaSign: async (privateKey, data) =>
		own(sign("sha256", data, { key: ecKey(privateKey, "ECDSA"), dsaEncoding: "ieee-p1363" })),
	ecdsaVerify: async (publicKey, signature, data) =>
		verify("sha256", data, { key: ecKey(publicKey, "ECDSA"), dsaEncoding: "ieee-p1363" }, signature),

	async importHmacKey(raw, hash) {
		if (raw.length === 0) throw new TypeError("an HMAC key must not be empty");
		const algorithm: HmacKeyAlgorithm = { name: "HMAC", hash: { name: hash }, length: raw.length * 8 };
		return new NodeKey(createSecretKey(raw), algorithm, false, ["sign", "verify"]);
	},
	hmacSign: async (key, data) => own(hmac(key, data)),
	async hmacVerify(key, tag, data) {
		const expected = hmac(key, data);
		return expected.length === tag.length && timingSafeEqual(expected, tag);
	},
	hkdf: async (ikm, salt, info, length) => new Uint8Array(hkdfSync("sha256", ikm, salt, info, length)),
	async importAesGcmKey(raw) {
		if (raw.length !== 16 && raw.length !== 32) throw new TypeError("AES-GCM keys are 16 or 32 bytes");
		const algorithm: AesKeyAlgorithm = { name: "AES-GCM", length: raw.length * 8 };
		return new NodeKey(createSecretKey(raw), algorithm, false, ["encrypt", "decrypt"]);
	},
	aesGcmSeal: async (key, iv, additionalData, plaintext) => aesSeal(key, iv, additionalData, plaintext),
	aesGcmOpen: async (key, iv, additionalData, sealed) => aesOpen(key, iv, additionalData, sealed),
};
