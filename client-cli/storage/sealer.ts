// Optional passphrase protection of a profile's files (docs/CLI.md §Passphrase). Without a passphrase
// the files are plain JSON protected by their 0600 mode. With one, every stored file (account token,
// identity and prekey private keys, sessions, contacts, history) is sealed with AES-256-GCM under a key
// derived from the passphrase with PBKDF2-HMAC-SHA-256 (600,000 iterations, 16-byte random salt), all
// through WebCrypto. The file's name is the additional data, so sealed files cannot be swapped.
// `passphrase.json` holds the KDF parameters and a sealed check value that tells a wrong passphrase
// from damaged files; it holds nothing secret.
import { join } from "node:path";
import * as v from "valibot";
import { decodeBase64Url, encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { readTextFile, writeFileAtomic } from "./atomic-file.ts";
import { damagedFileHint } from "./profile-files.ts";

export const PASSPHRASE_FILE = "passphrase.json";
const PBKDF2_ITERATIONS = 600_000;
const CHECK_NAME = "friendly.passphrase-check";
const CHECK_TEXT = "FriendLy passphrase check v1";

/** Turns a file's plain text into what is stored, and back. */
export interface Sealer {
	readonly protected: boolean;
	seal(name: string, text: string): Promise<string>;
	open(name: string, stored: string): Promise<string>;
}

const SealedDocument = v.strictObject({
	kind: v.literal("friendly.sealed"),
	v: v.literal(1),
	iv: v.string(),
	data: v.string(),
});

const PassphraseFile = v.strictObject({
	kind: v.literal("friendly.passphrase"),
	v: v.literal(1),
	kdf: v.literal("PBKDF2-HMAC-SHA-256"),
	iterations: v.pipe(v.number(), v.integer(), v.minValue(100_000), v.maxValue(10_000_000)),
	salt: v.string(),
	check: v.string(),
});

function damaged(name: string, why: string): CliError {
	return new CliError(
		EXIT_CODES.profileUnavailable,
		"damaged_state",
		`The profile file ${name} cannot be read (${why}).`,
		damagedFileHint(name),
	);
}

function parseSealed(text: string): v.InferOutput<typeof SealedDocument> | undefined {
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch {
		return undefined;
	}
	const parsed = v.safeParse(SealedDocument, data);
	return parsed.success ? parsed.output : undefined;
}

/** Files stay plain text; a sealed file means the profile needs its passphrase. */
export const plainSealer: Sealer = {
	protected: false,
	seal: async (_name, text) => text,
	open: async (name, stored) => {
		if (parseSealed(stored)) {
			throw new CliError(
				EXIT_CODES.profileUnavailable,
				"passphrase_required",
				`The profile file ${name} is passphrase-protected.`,
				"Set FRIENDLY_PASSPHRASE or run friendly on a terminal to be asked for it.",
			);
		}
		return stored;
	},
};

class AesGcmSealer implements Sealer {
	readonly protected = true;
	constructor(private readonly key: CryptoKey) {}

	async seal(name: string, text: string): Promise<string> {
		const iv = crypto.getRandomValues(new Uint8Array(12));
		const data = await crypto.subtle.encrypt(
			{ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(name) },
			this.key,
			new TextEncoder().encode(text),
		);
		return JSON.stringify({
			kind: "friendly.sealed",
			v: 1,
			iv: encodeBase64Url(iv),
			data: encodeBase64Url(new Uint8Array(data)),
		});
	}

	async open(name: string, stored: string): Promise<string> {
		const sealed = parseSealed(stored);
		if (!sealed) throw damaged(name, "it is not sealed although the profile is passphrase-protected");
		const iv = decodeBase64Url(sealed.iv);
		const data = decodeBase64Url(sealed.data);
		if (!iv || !data) throw damaged(name, "bad encoding");
		try {
			const plain = await crypto.subtle.decrypt(
				{ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(name) },
				this.key,
				data,
			);
			return new TextDecoder().decode(plain);
		} catch {
			throw damaged(name, "it does not decrypt with this passphrase");
		}
	}
}

async function deriveKey(
	passphrase: string,
	salt: Uint8Array<ArrayBuffer>,
	iterations: number,
): Promise<CryptoKey> {
	const material = await crypto.subtle.importKey(
		"raw",
		new TextEncoder().encode(passphrase.normalize("NFKC")),
		"PBKDF2",
		false,
		["deriveKey"],
	);
	return crypto.subtle.deriveKey(
		{ name: "PBKDF2", hash: "SHA-256", salt, iterations },
		material,
		{ name: "AES-GCM", length: 256 },
		false,
		["encrypt", "decrypt"],
	);
}

export async function isPassphraseProtected(profileDirectory: string): Promise<boolean> {
	return (await readTextFile(join(profileDirectory, PASSPHRASE_FILE))) !== undefined;
}

/** Sets up protection for a new (empty) profile and returns the sealer to write its files with. */
export async function createPassphraseSealer(profileDirectory: string, passphrase: string): Promise<Sealer> {
	if (passphrase.length < 8) {
		throw new CliError(
			EXIT_CODES.usage,
			"weak_passphrase",
			"The passphrase is too short.",
			"Use at least 8 characters (a few words is best).",
		);
	}
	const salt = crypto.getRandomValues(new Uint8Array(16));
	const sealer = new AesGcmSealer(await deriveKey(passphrase, salt, PBKDF2_ITERATIONS));
	await writeFileAtomic(
		join(profileDirectory, PASSPHRASE_FILE),
		JSON.stringify({
			kind: "friendly.passphrase",
			v: 1,
			kdf: "PBKDF2-HMAC-SHA-256",
			iterations: PBKDF2_ITERATIONS,
			salt: encodeBase64Url(salt),
			check: await sealer.seal(CHECK_NAME, CHECK_TEXT),
		}),
	);
	return sealer;
}

/** The sealer of a protected profile; a wrong passphrase is refused here, before any file is read. */
export async function unlockSealer(profileDirectory: string, passphrase: string): Promise<Sealer> {
	const text = await readTextFile(join(profileDirectory, PASSPHRASE_FILE));
	if (text === undefined) return plainSealer;
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch {
		throw damaged(PASSPHRASE_FILE, "not JSON");
	}
	const parsed = v.safeParse(PassphraseFile, data);
	if (!parsed.success) throw damaged(PASSPHRASE_FILE, parsed.issues[0].message);
	const salt = decodeBase64Url(parsed.output.salt);
	if (!salt) throw damaged(PASSPHRASE_FILE, "bad salt");
	const sealer = new AesGcmSealer(await deriveKey(passphrase, salt, parsed.output.iterations));
	let check: string;
	try {
		check = await sealer.open(CHECK_NAME, parsed.output.check);
	} catch {
		throw new CliError(
			EXIT_CODES.profileUnavailable,
			"wrong_passphrase",
			"Wrong passphrase for this profile.",
			"Enter the passphrase you chose at registration (or set FRIENDLY_PASSPHRASE).",
		);
	}
	if (check !== CHECK_TEXT) throw damaged(PASSPHRASE_FILE, "unexpected check value");
	return sealer;
}
