// The files of one profile directory, as documents addressed by a relative path (`sessions/+1555….json`).
// Reads and writes go through the profile's Sealer (plain, or passphrase-sealed) and the atomic file
// primitives; phone numbers used in paths are checked against E.164 first, so a hostile name can never
// reach outside the profile directory.
//
// Test-only fault hook (inactive unless its variables are set; never set them in normal use):
// FRIENDLY_FAULT_AFTER_WRITES=<n> makes the process exit with status 137 (as if killed with SIGKILL)
// right after its nth profile-file write or removal, so tests can crash the real CLI at every write
// boundary (test/cli/first-message-crash.test.ts); FRIENDLY_FAULT_WRITE_LOG=<file> appends one line per
// write or removal ("write <path>" / "remove <path>") to that file.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { E164_PATTERN } from "../../protocol/wire/phone.ts";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { listFileNames, readTextFile, removeFile, writeFileAtomic } from "./atomic-file.ts";
import type { Sealer } from "./sealer.ts";

export class ProfileFiles {
	constructor(
		readonly directory: string,
		readonly sealer: Sealer,
	) {}

	async read(path: string): Promise<string | undefined> {
		const stored = await readTextFile(join(this.directory, path));
		return stored === undefined ? undefined : this.sealer.open(path, stored);
	}

	async write(path: string, text: string): Promise<void> {
		await writeFileAtomic(join(this.directory, path), await this.sealer.seal(path, text));
		faultHook("write", path);
	}

	async remove(path: string): Promise<void> {
		await removeFile(join(this.directory, path));
		faultHook("remove", path);
	}

	async list(subdirectory: string): Promise<string[]> {
		return listFileNames(join(this.directory, subdirectory));
	}

	/** Parses stored JSON; a file that is not JSON is reported as damaged, naming it. */
	async readJson(path: string): Promise<unknown> {
		const text = await this.read(path);
		if (text === undefined) return undefined;
		try {
			return JSON.parse(text);
		} catch {
			throw damagedFile(path, "not JSON");
		}
	}
}

let faultWrites = 0;

/** The test-only fault hook (see the header): log the write, and die after the configured one. */
function faultHook(kind: "write" | "remove", path: string): void {
	const log = process.env.FRIENDLY_FAULT_WRITE_LOG;
	const after = process.env.FRIENDLY_FAULT_AFTER_WRITES;
	if (!log && !after) return;
	faultWrites += 1;
	if (log) appendFileSync(log, `${kind} ${path}\n`);
	if (after && faultWrites === Number(after)) process.exit(137);
}

export function damagedFile(path: string, why: string): CliError {
	return new CliError(
		EXIT_CODES.profileUnavailable,
		"damaged_state",
		`The profile file ${path} is damaged (${why}).`,
		damagedFileHint(path),
	);
}

const NO_OLD_COPY =
	"Do not put back an older copy from a backup: old key or session state would reuse message keys (and AES-GCM nonces) that were already used, and fork your conversations.";

/**
 * What to do about a damaged file, by what it holds. Never "restore it from a backup": a restored
 * session or prekey is state that was already used, and using it again reuses keys and nonces.
 */
export function damagedFileHint(path: string): string {
	const where = "out of the profile directory";
	if (path.startsWith("history/")) {
		return `It only holds your local copy of that conversation: move it ${where} and carry on.`;
	}
	if (path.startsWith("contacts/")) {
		return `It only holds local notes on that contact (unread count, last message): move it ${where} and carry on.`;
	}
	if (path.startsWith("trusted/")) {
		return `Move it ${where}: their key is pinned again at your next contact with them; compare the safety number again (friendly verify <phone>).`;
	}
	if (path.startsWith("sessions/")) {
		return `${NO_OLD_COPY} Move it ${where} instead: the next message you send them starts a new secure session; ask them to send again what you could not read.`;
	}
	if (path === "account.json") {
		return `Move it ${where} and register again (friendly register <phone>): the profile keeps its identity keys and contacts.`;
	}
	return `${NO_OLD_COPY} Register the number again on a new profile (friendly --profile <new-name> register <phone>): your contacts will see a new safety number.`;
}

/** A phone number as a file name; anything that is not E.164 is refused. */
export function phoneFileName(phone: string): string {
	if (!E164_PATTERN.test(phone)) throw new Error(`not an E.164 phone number: ${phone.slice(0, 20)}`);
	return `${phone}.json`;
}

/** The phone numbers a directory of `<phone>.json` files holds. */
export function phonesFromFileNames(names: readonly string[]): string[] {
	return names
		.filter((name) => name.endsWith(".json"))
		.map((name) => name.slice(0, -".json".length))
		.filter((phone) => E164_PATTERN.test(phone));
}
