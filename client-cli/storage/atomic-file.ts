// File primitives for the profile directory. Every write goes to a temporary file in the same
// directory (mode 0600, fsynced) and is then renamed over the target, so a crash or a full disk never
// leaves a half-written key or session file behind: readers see the old or the new content, never a
// mix. Directories are created 0700. Only this module touches the file system for the stores.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, rm, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export const FILE_MODE = 0o600;
export const DIRECTORY_MODE = 0o700;

function isErrno(error: unknown, code: string): boolean {
	return error instanceof Error && "code" in error && error.code === code;
}

/** Creates the directory (and parents) owner-only; tightens an existing one. */
export async function ensureDirectory(path: string): Promise<void> {
	await mkdir(path, { recursive: true, mode: DIRECTORY_MODE });
	await chmod(path, DIRECTORY_MODE);
}

export async function writeFileAtomic(path: string, text: string): Promise<void> {
	const directory = dirname(path);
	await mkdir(directory, { recursive: true, mode: DIRECTORY_MODE });
	const temporary = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
	const handle = await open(temporary, "wx", FILE_MODE);
	try {
		await handle.writeFile(text, "utf8");
		await handle.sync();
	} catch (error) {
		await handle.close();
		await unlink(temporary).catch(() => undefined);
		throw error;
	}
	await handle.close();
	try {
		await rename(temporary, path);
	} catch (error) {
		await unlink(temporary).catch(() => undefined);
		throw error;
	}
}

/** The file's text, or undefined when it does not exist. */
export async function readTextFile(path: string): Promise<string | undefined> {
	try {
		return await readFile(path, "utf8");
	} catch (error) {
		if (isErrno(error, "ENOENT")) return undefined;
		throw error;
	}
}

export async function removeFile(path: string): Promise<void> {
	try {
		await unlink(path);
	} catch (error) {
		if (!isErrno(error, "ENOENT")) throw error;
	}
}

export async function removeDirectory(path: string): Promise<void> {
	await rm(path, { recursive: true, force: true });
}

/** Names of the regular entries in a directory (none when it does not exist), temporary files excluded. */
export async function listFileNames(directory: string): Promise<string[]> {
	try {
		const entries = await readdir(directory, { withFileTypes: true });
		return entries
			.filter((entry) => entry.isFile() && !entry.name.endsWith(".tmp"))
			.map((entry) => entry.name);
	} catch (error) {
		if (isErrno(error, "ENOENT")) return [];
		throw error;
	}
}

export { isErrno };
