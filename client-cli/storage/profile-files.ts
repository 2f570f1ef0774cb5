// The files of one profile directory, as documents addressed by a relative path (`sessions/+1555….json`).
// Reads and writes go through the profile's Sealer (plain, or passphrase-sealed) and the atomic file
// primitives; phone numbers used in paths are checked against E.164 first, so a hostile name can never
// reach outside the profile directory.
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
	}

	async remove(path: string): Promise<void> {
		await removeFile(join(this.directory, path));
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

export function damagedFile(path: string, why: string): CliError {
	return new CliError(
		EXIT_CODES.profileUnavailable,
		"damaged_state",
		`The profile file ${path} is damaged (${why}).`,
		"Restore it from a backup, or register the profile again.",
	);
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
