// Sessions interoperate across the two crypto backends (protocol/crypto/backend.ts), in one process:
// a Messenger on the node:crypto backend (the CLI's, with its ML-KEM-768 backend: liboqs,
// node-crypto/ml-kem.ts) and one on WebCrypto (the web app's, with noble's ML-KEM) chat through the
// FakeRelay, each starting a session with the other (so each ML-KEM implementation decapsulates what the
// other encapsulated), and state one backend serialised (the CLI's files) loads in the other. Two module
// instances make two backends: this file's imports select node:crypto; a second copy of the same
// modules, imported after vi.resetModules(), keeps the WebCrypto default. The end-to-end version is
// test/web/interop-cli.test.ts (the CLI process on node:crypto, Chromium on WebCrypto, the real relay).
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { nodeCryptoBackend } from "../../node-crypto/backend.ts";
import { nodeMlKemBackend } from "../../node-crypto/ml-kem.ts";
import { NodeKey } from "../../node-crypto/node-key.ts";
import { cryptoBackend, setCryptoBackend } from "../../protocol/crypto/backend.ts";
import { identityDhKeySignedBytes, signKey } from "../../protocol/crypto/key-signatures.ts";
import { type MlKemBackend, setMlKemBackend } from "../../protocol/crypto/ml-kem.ts";
import { webCryptoBackend } from "../../protocol/crypto/webcrypto.ts";
import {
	createLocalIdentity,
	deserializeLocalIdentity,
	deserializeSessionRecord,
	serializeLocalIdentity,
	serializeSessionRecord,
} from "../../protocol/session/index.ts";
import { FakeRelay } from "./support/fake-relay.ts";
import { type FastUser, lastStatus, online, received, registerUser, statuses } from "./support/fake-users.ts";

setCryptoBackend(nodeCryptoBackend);
// Counts the node side's ML-KEM calls (it delegates to the CLI's backend), so a test can tell that a
// setup went through liboqs rather than through the second module instance's noble.
const liboqsCalls = { encapsulate: 0, decapsulate: 0 };
const countingMlKem: MlKemBackend = {
	...nodeMlKemBackend,
	encapsulate(publicKey, message) {
		liboqsCalls.encapsulate++;
		return nodeMlKemBackend.encapsulate(publicKey, message);
	},
	decapsulate(ciphertext, secretKey) {
		liboqsCalls.decapsulate++;
		return nodeMlKemBackend.decapsulate(ciphertext, secretKey);
	},
};
const noble = setMlKemBackend(countingMlKem);
// The node project reuses its test processes across files (isolate: false): leave the defaults behind.
afterAll(() => {
	setCryptoBackend(webCryptoBackend);
	setMlKemBackend(noble);
});

/** A second copy of the library and the fast-tier helpers, on the WebCrypto backend. */
async function webCryptoModules() {
	vi.resetModules();
	const [backend, users, session, signatures] = await Promise.all([
		import("../../protocol/crypto/backend.ts"),
		import("./support/fake-users.ts"),
		import("../../protocol/session/index.ts"),
		import("../../protocol/crypto/key-signatures.ts"),
	]);
	return { backend, users, session, signatures };
}

const running: FastUser[] = [];
afterEach(() => {
	for (const user of running.splice(0)) user.messenger.stop();
});

describe("node:crypto and WebCrypto backends", () => {
	it("chat with each other: setup, both ratchet directions, receipts and equal safety numbers", async () => {
		const web = await webCryptoModules();
		expect(cryptoBackend().name).toBe("node");
		expect(web.backend.cryptoBackend().name).toBe("webcrypto");

		const relay = new FakeRelay();
		const cli = await registerUser(relay, "+1 555 555 0151");
		const browser = await web.users.registerUser(relay, "+1 555 555 0152");
		running.push(cli, browser);
		await Promise.all([online(cli), online(browser)]);
		// Each side holds its own backend's keys.
		const cliKey = (await cli.state.identities.loadLocalIdentity())?.signing.privateKey;
		const browserKey = (await browser.state.identities.loadLocalIdentity())?.signing.privateKey;
		expect(cliKey).toBeInstanceOf(NodeKey);
		expect(browserKey).toBeInstanceOf(CryptoKey);

		// node:crypto initiates (X3DH-style setup, suite 2: liboqs encapsulates, noble decapsulates),
		// WebCrypto answers (a DH ratchet step), and so on.
		const encapsulations = liboqsCalls.encapsulate;
		const first = await cli.messenger.send(browser.phone, "from node");
		await browser.until((events) => received(events).includes("from node"), "node's message at the browser");
		expect(liboqsCalls.encapsulate).toBe(encapsulations + 1);
		const reply = await browser.messenger.send(cli.phone, "from webcrypto");
		await cli.until((events) => received(events).includes("from webcrypto"), "the reply at the CLI");
		const again = await cli.messenger.send(browser.phone, "node again");
		await browser.until((events) => received(events).includes("node again"), "the third message");
		await cli.until((events) => lastStatus(events, again.id) === "delivered", "the CLI's receipt");
		await browser.until((events) => lastStatus(events, reply.id) === "delivered", "the browser's receipt");
		expect(statuses(cli.events, first.id)).toEqual(["sent", "delivered"]);

		const [ours, theirs] = await Promise.all([
			cli.messenger.safetyNumber(browser.phone),
			browser.messenger.safetyNumber(cli.phone),
		]);
		expect(ours.safetyNumber.digits).toMatch(/^\d{60}$/);
		expect(ours.safetyNumber.digits).toBe(theirs.safetyNumber.digits);

		// The live sessions, ratchet keys included, serialise the same way on both backends (the CLI's files).
		const cliRecord = cli.state.sessions.records.get(browser.phone);
		const browserRecord = browser.state.sessions.records.get(cli.phone);
		if (!cliRecord || !browserRecord) throw new Error("no session records after the chat");
		const fromNode = await serializeSessionRecord(cliRecord);
		expect(
			await web.session.serializeSessionRecord(await web.session.deserializeSessionRecord(fromNode)),
		).toBe(fromNode);
		const fromWeb = await web.session.serializeSessionRecord(browserRecord);
		expect(await serializeSessionRecord(await deserializeSessionRecord(fromWeb))).toBe(fromWeb);
	});

	it("the web app starts a session with the CLI: noble encapsulates, liboqs decapsulates", async () => {
		const web = await webCryptoModules();
		const relay = new FakeRelay();
		const cli = await registerUser(relay, "+1 555 555 0153");
		const browser = await web.users.registerUser(relay, "+1 555 555 0154");
		running.push(cli, browser);
		await Promise.all([online(cli), online(browser)]);

		const before = liboqsCalls.decapsulate;
		const first = await browser.messenger.send(cli.phone, "from webcrypto first");
		await cli.until(
			(events) => received(events).includes("from webcrypto first"),
			"the first message at the CLI",
		);
		expect(liboqsCalls.decapsulate).toBe(before + 1);
		const reply = await cli.messenger.send(browser.phone, "reply from node");
		await browser.until((events) => received(events).includes("reply from node"), "the CLI's reply");
		await browser.until((events) => lastStatus(events, first.id) === "delivered", "the browser's receipt");
		await cli.until((events) => lastStatus(events, reply.id) === "delivered", "the CLI's receipt");
		const [ours, theirs] = await Promise.all([
			cli.messenger.safetyNumber(browser.phone),
			browser.messenger.safetyNumber(cli.phone),
		]);
		expect(ours.safetyNumber.digits).toBe(theirs.safetyNumber.digits);
	});

	it("read each other's serialised identities (the CLI's files) byte for byte, and the keys still sign", async () => {
		const web = await webCryptoModules();
		const madeByWeb = await web.session.createLocalIdentity({ extractable: true });
		const madeByNode = await createLocalIdentity({ extractable: true });

		for (const [text, load, save] of [
			[await web.session.serializeLocalIdentity(madeByWeb), deserializeLocalIdentity, serializeLocalIdentity],
			[
				await serializeLocalIdentity(madeByNode),
				web.session.deserializeLocalIdentity,
				web.session.serializeLocalIdentity,
			],
		] as const) {
			const loaded = await load(text);
			expect(await save(loaded)).toBe(text);
		}

		// A key WebCrypto serialised signs under node:crypto, and WebCrypto verifies the signature.
		const restored = await deserializeLocalIdentity(await web.session.serializeLocalIdentity(madeByWeb));
		expect(restored.signing.privateKey).toBeInstanceOf(NodeKey);
		const signed = identityDhKeySignedBytes(restored.dh.publicKey);
		const signature = await signKey(restored.signing.privateKey, signed);
		expect(
			await web.signatures.checkKeySignature(
				restored.signing.publicKey,
				restored.dh.publicKey,
				signed,
				signature,
			),
		).toBe("ok");
	});

	it("keeps a non-extractable node key non-extractable, and each key to its algorithm", async () => {
		const identity = await createLocalIdentity({ extractable: false });
		expect(identity.signing.privateKey.extractable).toBe(false);
		await expect(serializeLocalIdentity(identity)).rejects.toMatchObject({ code: "not_extractable" });
		await expect(nodeCryptoBackend.exportEcPrivateScalar(identity.dh.privateKey)).rejects.toThrow(
			"not extractable",
		);
		// As in WebCrypto: the ECDSA identity key cannot do ECDH, nor the ECDH one sign.
		const peer = await nodeCryptoBackend.importEcPublicKey("ECDH", identity.dh.publicKey);
		await expect(nodeCryptoBackend.ecdhDeriveX(identity.signing.privateKey, peer)).rejects.toThrow(
			"not an ECDH key",
		);
		await expect(nodeCryptoBackend.ecdsaSign(identity.dh.privateKey, Uint8Array.of(1))).rejects.toThrow(
			"not an ECDSA key",
		);
	});
});
