// The recovery key of a backup (docs/SECURITY.md §Backups): 30 characters of Crockford's base32
// alphabet (no I, L, O or U: nothing to confuse when read aloud or copied by hand), 150 random bits,
// shown once in six groups of five ("7KQ2M-…"). Typed back, case, spaces and dashes do not matter, and
// the letters people confuse with digits (O → 0, I and L → 1) are read as the digits.
import { randomBytes } from "../crypto/webcrypto.ts";

export const RECOVERY_KEY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const RECOVERY_KEY_CHARS = 30;
const GROUP = 5;

/** A new random key, in its canonical form (30 characters, no separators). */
export function newRecoveryKey(): string {
	// 32 symbols: each random byte's low 5 bits pick one with no bias.
	return Array.from(randomBytes(RECOVERY_KEY_CHARS), (byte) => RECOVERY_KEY_ALPHABET[byte & 31]).join("");
}

/** "ABCDE-FGHJK-…": how the key is shown and written down. */
export function groupRecoveryKey(key: string): string {
	const groups: string[] = [];
	for (let i = 0; i < key.length; i += GROUP) groups.push(key.slice(i, i + GROUP));
	return groups.join("-");
}

/** The canonical key from what a person typed, or null when it cannot be one (wrong length or symbols). */
export function normaliseRecoveryKey(typed: string): string | null {
	const key = typed.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
	if (key.length !== RECOVERY_KEY_CHARS) return null;
	for (const char of key) if (!RECOVERY_KEY_ALPHABET.includes(char)) return null;
	return key;
}
