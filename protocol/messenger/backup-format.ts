// The backup file (docs/PROTOCOL.md §Backup file), versioned and self-describing:
//
//   FRIENDLY-BACKUP\n                       16 bytes of ASCII magic
//   {"format":"friendly-backup",…}\n        one line of JSON: the header (version, algorithms, salt,
//                                           nonce, key check, ciphertext length; nothing personal)
//   ciphertext                              AES-256-GCM of the payload JSON (backup-payload.ts)
//
// The key is HKDF-SHA-256(recovery key, salt, "FriendLy backup v1 key") and the key check a separate
// HKDF output ("… key check"), so a wrong recovery key is told apart from a damaged file without any
// decryption. The magic and the header line are the AEAD's associated data: the GCM tag covers the
// whole file, so a changed, cut or extended byte anywhere is refused. A header naming a newer version
// is refused before anything else.
import * as v from "valibot";
import {
	AES_GCM_NONCE_BYTES,
	AES_GCM_TAG_BYTES,
	aesGcmDecrypt,
	aesGcmEncrypt,
	importAesKey,
} from "../crypto/aes-gcm.ts";
import { hkdfSha256 } from "../crypto/hkdf.ts";
import { randomBytes } from "../crypto/webcrypto.ts";
import { decodeBase64Url, encodeBase64Url } from "../encoding/base64url.ts";
import { type Bytes, concatBytes, constantTimeEqual, utf8 } from "../encoding/bytes.ts";
import { parseJson } from "../wire/index.ts";
import { MessengerError } from "./errors.ts";

export const BACKUP_MAGIC = "FRIENDLY-BACKUP\n";
export const BACKUP_VERSION = 1;
const SALT_BYTES = 32;
const KEY_CHECK_BYTES = 16;
const MAX_HEADER_CHARS = 1024;
const KEY_INFO = utf8("FriendLy backup v1 key");
const KEY_CHECK_INFO = utf8("FriendLy backup v1 key check");

const Base64Url = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/));

/** Read first and loosely: only the format and version decide whether this version can go on. */
const HeaderVersion = v.object({
	format: v.literal("friendly-backup"),
	version: v.pipe(v.number(), v.integer()),
});

const HeaderV1 = v.strictObject({
	format: v.literal("friendly-backup"),
	version: v.literal(BACKUP_VERSION),
	kdf: v.literal("HKDF-SHA-256"),
	cipher: v.literal("AES-256-GCM"),
	salt: Base64Url,
	nonce: Base64Url,
	keyCheck: Base64Url,
	/** Bytes of ciphertext (with its tag) after the header: a shorter file was cut off. */
	length: v.pipe(v.number(), v.integer(), v.minValue(AES_GCM_TAG_BYTES)),
});

function damaged(why: string): MessengerError {
	return new MessengerError(
		"backup_damaged",
		`This backup file is damaged or was changed (${why}); nothing was restored. Use an intact copy.`,
	);
}

async function deriveKeys(recoveryKey: string, salt: Bytes): Promise<{ key: CryptoKey; check: Bytes }> {
	const ikm = utf8(recoveryKey);
	const [raw, check] = await Promise.all([
		hkdfSha256(ikm, salt, KEY_INFO, 32),
		hkdfSha256(ikm, salt, KEY_CHECK_INFO, KEY_CHECK_BYTES),
	]);
	return { key: await importAesKey(raw), check };
}

/** Encrypts `payload` (UTF-8 JSON) under `recoveryKey` (canonical form, backup-key.ts). */
export async function sealBackup(payload: Bytes, recoveryKey: string): Promise<Bytes> {
	const salt = randomBytes(SALT_BYTES);
	const nonce = randomBytes(AES_GCM_NONCE_BYTES);
	const { key, check } = await deriveKeys(recoveryKey, salt);
	const header = {
		format: "friendly-backup",
		version: BACKUP_VERSION,
		kdf: "HKDF-SHA-256",
		cipher: "AES-256-GCM",
		salt: encodeBase64Url(salt),
		nonce: encodeBase64Url(nonce),
		keyCheck: encodeBase64Url(check),
		length: payload.length + AES_GCM_TAG_BYTES,
	};
	const prefix = utf8(`${BACKUP_MAGIC}${JSON.stringify(header)}\n`);
	const sealed = await aesGcmEncrypt(key, nonce, payload, prefix);
	return concatBytes(prefix, new Uint8Array(sealed));
}

/**
 * The payload of a backup file, or MessengerError: `backup_damaged` (not a backup, cut off, changed),
 * `backup_unsupported_version` (made by a newer FriendLy), `backup_wrong_key`.
 */
export async function openBackup(file: Bytes, recoveryKey: string): Promise<Bytes> {
	const magic = utf8(BACKUP_MAGIC);
	if (file.length < magic.length || !constantTimeEqual(file.subarray(0, magic.length), magic))
		throw damaged("it is not a FriendLy backup");
	const newline = file.indexOf(0x0a, magic.length);
	if (newline < 0 || newline - magic.length > MAX_HEADER_CHARS) throw damaged("its header is cut off");
	const headerText = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(
		file.subarray(magic.length, newline),
	);
	const version = parseJson(HeaderVersion, headerText, MAX_HEADER_CHARS);
	if (!version.ok) throw damaged("its header is unreadable");
	if (version.value.version > BACKUP_VERSION) {
		throw new MessengerError(
			"backup_unsupported_version",
			`This backup was made by a newer FriendLy (backup format ${version.value.version}; this one reads ${BACKUP_VERSION}); nothing was restored. Update FriendLy and restore again.`,
		);
	}
	const parsed = parseJson(HeaderV1, headerText, MAX_HEADER_CHARS);
	if (!parsed.ok) throw damaged("its header is unreadable");
	const header = parsed.value;
	const salt = decodeBase64Url(header.salt);
	const nonce = decodeBase64Url(header.nonce);
	const keyCheck = decodeBase64Url(header.keyCheck);
	if (
		salt?.length !== SALT_BYTES ||
		nonce?.length !== AES_GCM_NONCE_BYTES ||
		keyCheck?.length !== KEY_CHECK_BYTES
	)
		throw damaged("its header is unreadable");
	const sealed = file.subarray(newline + 1);
	if (sealed.length < header.length) throw damaged("it is cut off");
	if (sealed.length > header.length) throw damaged("it has extra bytes at the end");
	const { key, check } = await deriveKeys(recoveryKey, salt);
	if (!constantTimeEqual(check, keyCheck)) {
		throw new MessengerError(
			"backup_wrong_key",
			"That recovery key does not open this backup; nothing was restored. Check the key you wrote down (30 characters) and try again.",
		);
	}
	const payload = await aesGcmDecrypt(key, nonce, sealed, file.subarray(0, newline + 1));
	if (payload === null) throw damaged("its contents do not match their checksum");
	return payload;
}
