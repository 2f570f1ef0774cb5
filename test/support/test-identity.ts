// Real P-256 identity and prekeys for relay tests that do not need the full E2E library: keys made
// with WebCrypto and signed over exactly the bytes protocol/crypto/key-signatures.ts defines.
import { identityDhKeySignedBytes, signedPrekeySignedBytes } from "../../protocol/crypto/key-signatures.ts";
import { encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import type { IdentityKeys, OneTimePrekey, SignedPrekey } from "../../protocol/wire/index.ts";

export interface TestIdentity {
	publicKeys: IdentityKeys;
	signingPrivateKey: CryptoKey;
}

async function rawPublicKey(key: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
	return new Uint8Array(await crypto.subtle.exportKey("raw", key));
}

async function sign(privateKey: CryptoKey, bytes: Uint8Array<ArrayBuffer>): Promise<string> {
	return encodeBase64Url(
		new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, bytes)),
	);
}

export async function makeIdentity(): Promise<TestIdentity> {
	const signing = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
		"sign",
		"verify",
	]);
	const dh = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
	const signingKey = await rawPublicKey(signing.publicKey);
	const dhKey = await rawPublicKey(dh.publicKey);
	return {
		publicKeys: {
			signingKey: encodeBase64Url(signingKey),
			dhKey: encodeBase64Url(dhKey),
			dhKeySignature: await sign(signing.privateKey, identityDhKeySignedBytes(dhKey)),
		},
		signingPrivateKey: signing.privateKey,
	};
}

export async function makeSignedPrekey(identity: TestIdentity, keyId: number): Promise<SignedPrekey> {
	const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
	const publicKey = await rawPublicKey(pair.publicKey);
	return {
		keyId,
		publicKey: encodeBase64Url(publicKey),
		signature: await sign(identity.signingPrivateKey, signedPrekeySignedBytes(keyId, publicKey)),
	};
}

export async function makeOneTimePrekeys(firstId: number, count: number): Promise<OneTimePrekey[]> {
	const prekeys: OneTimePrekey[] = [];
	for (let i = 0; i < count; i++) {
		const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, [
			"deriveBits",
		]);
		prekeys.push({ keyId: firstId + i, publicKey: encodeBase64Url(await rawPublicKey(pair.publicKey)) });
	}
	return prekeys;
}

export function randomBody(bytes: number): string {
	const out = new Uint8Array(bytes);
	for (let offset = 0; offset < bytes; offset += 65536)
		crypto.getRandomValues(out.subarray(offset, Math.min(bytes, offset + 65536)));
	return encodeBase64Url(out);
}
