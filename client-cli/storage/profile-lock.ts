// One process per profile at a time: the relay allows one connection per phone (a second one would
// push the first off) and two writers could interleave session updates. The lock is a file created
// exclusively (O_EXCL) holding the owner's pid; a lock whose process is gone is stale and taken over.
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { FILE_MODE, isErrno, removeFile } from "./atomic-file.ts";

const LOCK_FILE = "lock";

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return isErrno(error, "EPERM");
	}
}

export interface ProfileLock {
	release(): Promise<void>;
}

export async function lockProfile(directory: string, profile: string): Promise<ProfileLock> {
	const path = join(directory, LOCK_FILE);
	for (let attempt = 0; attempt < 3; attempt += 1) {
		try {
			const handle = await open(path, "wx", FILE_MODE);
			await handle.writeFile(String(process.pid));
			await handle.close();
			let released = false;
			return {
				release: async () => {
					if (released) return;
					released = true;
					await removeFile(path);
				},
			};
		} catch (error) {
			if (!isErrno(error, "EEXIST")) throw error;
		}
		const owner = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
		if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
			throw new CliError(
				EXIT_CODES.profileUnavailable,
				"profile_in_use",
				`The profile "${profile}" is in use by another friendly process (pid ${owner}).`,
				"Use that session, quit it first, or pick another profile with --profile.",
			);
		}
		// Stale (its process is gone) or half-written: take it over.
		await removeFile(path);
	}
	throw new CliError(
		EXIT_CODES.profileUnavailable,
		"profile_in_use",
		`Could not lock the profile "${profile}".`,
		"Check that no other friendly process uses it, then try again.",
	);
}
