// The Double Ratchet (Signal, "The Double Ratchet Algorithm", rev. 1, §3.3-3.5) over a SessionState,
// with the KDFs of crypto/ratchet-kdf.ts and AES-256-GCM whose associated data is AD || header bytes.
//
// Both directions work in two phases: compute everything (all fallible steps: DH, KDFs, AEAD) on local
// copies, and return a `commit` that applies the result to the state synchronously. A failed decryption
// therefore leaves the state exactly as it was (no half-advanced chain, no lost skipped key).
//
// Skipped message keys (out-of-order and lost messages): at most MAX_SKIP keys are derived per chain in
// one step (further is too_far_ahead), at most MAX_SKIPPED_KEYS are kept per session (oldest evicted),
// and a key is deleted as soon as it decrypted its message.
//
// Suite 2 sessions pad every plaintext (crypto/padme.ts) and put a fresh 16-byte salt in every header,
// mixed into the message key expansion (crypto/ratchet-kdf.ts), so a forked copy of this state never
// reuses a (key, nonce) pair. Suite-1 sessions are unchanged.

import { aesGcmDecrypt, aesGcmEncrypt } from "../crypto/aes-gcm.ts";
import { ecdh, generateEcdhKeyPair, importEcdhPublicKey } from "../crypto/ecdh.ts";
import { pad, unpad } from "../crypto/padme.ts";
import { expandMessageKey, kdfChain, kdfRoot } from "../crypto/ratchet-kdf.ts";
import { SUITE_V2 } from "../crypto/suite.ts";
import { randomBytes } from "../crypto/webcrypto.ts";
import { encodeBase64Url } from "../encoding/base64url.ts";
import { type Bytes, concatBytes, constantTimeEqual } from "../encoding/bytes.ts";
import { MESSAGE_SALT_BYTES } from "../wire/envelope.ts";
import { ProtocolError } from "./errors.ts";
import { encodeHeader, type MessageHeader, type PrekeyHeaderFields } from "./header.ts";
import type { ChainState, SessionState } from "./stores.ts";

export const MAX_SKIP = 1000;
export const MAX_SKIPPED_KEYS = 1000;
const PREVIOUS_REMOTE_RATCHETS = 8;

export interface EncryptResult {
	readonly header: MessageHeader;
	readonly headerBytes: Bytes;
	readonly ciphertext: Bytes;
	readonly commit: () => void;
}

export async function ratchetEncrypt(
	state: SessionState,
	plaintext: Bytes,
	prekey: PrekeyHeaderFields | undefined,
): Promise<EncryptResult> {
	const step = await kdfChain(state.send.chainKey);
	const v2 = state.suite === SUITE_V2;
	const salt = v2 ? randomBytes(MESSAGE_SALT_BYTES) : undefined;
	const header: MessageHeader = {
		suite: state.suite,
		session: state.id,
		ratchetKey: state.ratchet.publicKey,
		pn: state.pn,
		n: state.send.n,
		salt,
		prekey,
	};
	const headerBytes = encodeHeader(header);
	const { key, nonce } = await expandMessageKey(step.messageKey, state.ad, salt);
	const ciphertext = await aesGcmEncrypt(
		key,
		nonce,
		v2 ? pad(plaintext) : plaintext,
		concatBytes(state.ad, headerBytes),
	);
	const next: ChainState = { chainKey: step.chainKey, n: state.send.n + 1 };
	return {
		header,
		headerBytes,
		ciphertext,
		commit: () => {
			state.send = next;
		},
	};
}

async function openWith(
	state: SessionState,
	messageKey: Bytes,
	header: MessageHeader,
	headerBytes: Bytes,
	ciphertext: Bytes,
) {
	const { key, nonce } = await expandMessageKey(messageKey, state.ad, header.salt);
	const plaintext = await aesGcmDecrypt(key, nonce, ciphertext, concatBytes(state.ad, headerBytes));
	if (!plaintext) throw new ProtocolError("decrypt_failed", "the message does not authenticate");
	if (state.suite !== SUITE_V2) return plaintext;
	const unpadded = unpad(plaintext);
	if (!unpadded) throw new ProtocolError("malformed", "the decrypted message is not padded correctly");
	return unpadded;
}

/** Derives the keys of messages chain.n .. until-1 (they were skipped), returning the advanced chain. */
async function skipKeys(
	chain: ChainState,
	until: number,
	ratchetKey: string,
	into: Array<[string, Bytes]>,
): Promise<ChainState> {
	let current = chain;
	while (current.n < until) {
		const step = await kdfChain(current.chainKey);
		into.push([`${ratchetKey}:${current.n}`, step.messageKey]);
		current = { chainKey: step.chainKey, n: current.n + 1 };
	}
	return current;
}

export interface DecryptResult {
	readonly plaintext: Bytes;
	readonly commit: () => void;
}

function clearPending(state: SessionState): void {
	if (state.pendingPrekey) state.pendingPrekey = null;
}

export async function ratchetDecrypt(
	state: SessionState,
	header: MessageHeader,
	headerBytes: Bytes,
	ciphertext: Bytes,
	extractable: boolean,
): Promise<DecryptResult> {
	// The envelope's version is the session's suite: a suite-1 envelope on a suite-2 session (or the
	// reverse) is a downgrade attempt or a bug, never decrypted.
	if (header.suite !== state.suite)
		throw new ProtocolError("unsupported_version", "the envelope's suite is not the session's");
	// Base64url of the remote ratchet key names skipped keys; computed only when skipped keys are involved.
	let remoteKeyText: string | undefined;
	const remoteKey = (): string => {
		remoteKeyText ??= encodeBase64Url(header.ratchetKey);
		return remoteKeyText;
	};
	const skippedId = state.skipped.size > 0 ? `${remoteKey()}:${header.n}` : "";
	const skippedKey = skippedId ? state.skipped.get(skippedId) : undefined;
	if (skippedKey) {
		const plaintext = await openWith(state, skippedKey, header, headerBytes, ciphertext);
		return {
			plaintext,
			commit: () => {
				state.skipped.delete(skippedId);
				clearPending(state);
			},
		};
	}

	const added: Array<[string, Bytes]> = [];
	let recv = state.recv;
	let rootKey = state.rootKey;
	let ratchet = state.ratchet;
	let send = state.send;
	let pn = state.pn;
	let previousRemoteRatchets = state.previousRemoteRatchets;
	const newRatchet =
		state.remoteRatchet === null || !constantTimeEqual(header.ratchetKey, state.remoteRatchet);

	if (newRatchet) {
		if (state.previousRemoteRatchets.includes(remoteKey())) {
			throw new ProtocolError("old_message", "this message's key was already used or evicted");
		}
		if (header.n > MAX_SKIP || (recv && header.pn - recv.n > MAX_SKIP)) {
			throw new ProtocolError("too_far_ahead", `more than ${MAX_SKIP} messages would be skipped`);
		}
		const remotePublic = await importEcdhPublicKey(header.ratchetKey);
		if (recv && state.remoteRatchet) {
			const oldRemote = encodeBase64Url(state.remoteRatchet);
			await skipKeys(recv, header.pn, oldRemote, added);
			previousRemoteRatchets = [...previousRemoteRatchets, oldRemote].slice(-PREVIOUS_REMOTE_RATCHETS);
		}
		const receiving = await kdfRoot(rootKey, await ecdh(ratchet.privateKey, remotePublic));
		ratchet = await generateEcdhKeyPair(extractable);
		const sending = await kdfRoot(receiving.rootKey, await ecdh(ratchet.privateKey, remotePublic));
		rootKey = sending.rootKey;
		recv = { chainKey: receiving.chainKey, n: 0 };
		pn = send.n;
		send = { chainKey: sending.chainKey, n: 0 };
	} else if (recv) {
		if (header.n < recv.n)
			throw new ProtocolError("old_message", "this message's key was already used or evicted");
		if (header.n - recv.n > MAX_SKIP) {
			throw new ProtocolError("too_far_ahead", `more than ${MAX_SKIP} messages would be skipped`);
		}
	}
	if (!recv) throw new ProtocolError("no_session", "the session has no receiving chain");

	if (header.n > recv.n) recv = await skipKeys(recv, header.n, remoteKey(), added);
	const step = await kdfChain(recv.chainKey);
	const plaintext = await openWith(state, step.messageKey, header, headerBytes, ciphertext);
	const nextRecv: ChainState = { chainKey: step.chainKey, n: recv.n + 1 };

	return {
		plaintext,
		commit: () => {
			state.rootKey = rootKey;
			state.ratchet = ratchet;
			state.remoteRatchet = header.ratchetKey;
			state.send = send;
			state.recv = nextRecv;
			state.pn = pn;
			state.previousRemoteRatchets = previousRemoteRatchets;
			for (const [id, key] of added) state.skipped.set(id, key);
			while (state.skipped.size > MAX_SKIPPED_KEYS) {
				const oldest = state.skipped.keys().next();
				if (oldest.done) break;
				state.skipped.delete(oldest.value);
			}
			clearPending(state);
		},
	};
}
