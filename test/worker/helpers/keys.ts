// Real P-256 identity and prekeys from WebCrypto, signed over exactly the bytes defined in
// protocol/crypto/key-signatures.ts.
import {
	identityDhKeySignedBytes,
	kemPrekeySignedBytes,
	signedPrekeySignedBytes,
	signedPrekeyV2SignedBytes,
} from "../../../protocol/crypto/key-signatures.ts";
import { generateMlKemKeyPair } from "../../../protocol/crypto/ml-kem.ts";
import { encodeBase64Url } from "../../../protocol/encoding/base64url.ts";
import type { IdentityKeys, KemPrekey, OneTimePrekey, SignedPrekey } from "../../../protocol/wire/index.ts";

export interface TestIdentity {
	keys: IdentityKeys;
	signingPrivateKey: CryptoKey;
}

async function rawPublicKey(key: CryptoKey): Promise<Uint8Array> {
	return new Uint8Array((await crypto.subtle.exportKey("raw", key)) as ArrayBuffer);
}

export async function newDhPublicKey(): Promise<Uint8Array> {
	const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, [
		"deriveBits",
	])) as CryptoKeyPair;
	return rawPublicKey(pair.publicKey);
}

export async function sign(privateKey: CryptoKey, bytes: Uint8Array): Promise<string> {
	const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, bytes);
	return encodeBase64Url(new Uint8Array(signature));
}

export async function newIdentity(): Promise<TestIdentity> {
	const signing = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
		"sign",
		"verify",
	])) as CryptoKeyPair;
	const dhKey = await newDhPublicKey();
	return {
		signingPrivateKey: signing.privateKey,
		keys: {
			signingKey: encodeBase64Url(await rawPublicKey(signing.publicKey)),
			dhKey: encodeBase64Url(dhKey),
			dhKeySignature: await sign(signing.privateKey, identityDhKeySignedBytes(dhKey)),
		},
	};
}

export async function newSignedPrekey(identity: TestIdentity, keyId: number): Promise<SignedPrekey> {
	const publicKey = await newDhPublicKey();
	return {
		keyId,
		publicKey: encodeBase64Url(publicKey),
		signature: await sign(identity.signingPrivateKey, signedPrekeySignedBytes(keyId, publicKey)),
	};
}

/** Suite 2: a signed prekey with its last-resort ML-KEM-768 key, one signature over both. */
export async function newSignedPrekeyWithKem(identity: TestIdentity, keyId: number): Promise<SignedPrekey> {
	const publicKey = await newDhPublicKey();
	const kem = await generateMlKemKeyPair();
	return {
		keyId,
		publicKey: encodeBase64Url(publicKey),
		signature: await sign(
			identity.signingPrivateKey,
			signedPrekeyV2SignedBytes(keyId, publicKey, kem.publicKey),
		),
		kemPublicKey: encodeBase64Url(kem.publicKey),
	};
}

/** Suite 2: signed one-time ML-KEM-768 prekeys. */
export async function newKemPrekeys(
	identity: TestIdentity,
	count: number,
	firstKeyId = 1,
): Promise<KemPrekey[]> {
	const out: KemPrekey[] = [];
	for (let i = 0; i < count; i++) {
		const keyId = firstKeyId + i;
		const { publicKey } = await generateMlKemKeyPair();
		out.push({
			keyId,
			publicKey: encodeBase64Url(publicKey),
			signature: await sign(identity.signingPrivateKey, kemPrekeySignedBytes(keyId, publicKey)),
		});
	}
	return out;
}

/** An ML-KEM-768 encapsulation key whose first coefficient is 4095 (>= q): fails the modulus check. */
export async function unreducedKemKey(): Promise<Uint8Array> {
	const { publicKey } = await generateMlKemKeyPair();
	publicKey[0] = 0xff;
	publicKey[1] = (publicKey[1] ?? 0) | 0x0f;
	return publicKey;
}

export async function newOneTimePrekeys(count: number, firstKeyId = 1): Promise<OneTimePrekey[]> {
	return Promise.all(
		Array.from({ length: count }, async (_, i) => ({
			keyId: firstKeyId + i,
			publicKey: encodeBase64Url(await newDhPublicKey()),
		})),
	);
}

/** 65 bytes that look like an uncompressed point (0x04 prefix) but are not on P-256. */
export function offCurvePoint(): string {
	const bytes = new Uint8Array(65);
	bytes[0] = 0x04;
	bytes[1] = 1;
	bytes[33] = 1;
	return encodeBase64Url(bytes);
}

/** Flips one bit of a base64url signature or key (keeping it canonical base64url of the same length). */
export function tamper(text: string): string {
	const first = text.charAt(0);
	return (first === "A" ? "B" : "A") + text.slice(1);
}
