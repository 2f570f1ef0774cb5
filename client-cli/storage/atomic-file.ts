// File primitives for the profile directory. Every write goes to a temporary file in the same
// directory (mode 0600, fsynced) and is then renamed over the target, so a crash or a full disk never
// leaves a half-written key or session file behind: readers see the old or the new content, never a
// mix. The directory is fsynced after the rename, so the new name itself survives a power loss (without
// it the rename can be lost and an older key or session state come back). Directories are created
// 0700. Only this module (and the profile lock) touches the file system for the stores.
import { randomBytes } from "node:crypto";
import { chmod, type FileHandle, mkdir, open, readdir, readFile, rename, rm, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export const FILE_MODE = 0o600;
export const DIRECTORY_MODE = 0o700;

function isErrno(error: unknown, code: string): boolean {
	return error instanceof Error && "code" in error && error.code === code;
}

const DIRECTORY_SYNC_UNSUPPORTED = ["EISDIR", "EINVAL", "EPERM", "ENOTSUP"];

/**
 * Makes the directory's entries (a rename, a link, an unlink) durable. Platforms that cannot fsync a
 * directory (EISDIR, EINVAL; EPERM or ENOTSUP on some file systems) are skipped quietly.
 */
export async function syncDirectory(path: string): Promise<void> {
	let handle: FileHandle;
	try {
		handle = await open(path, "r");
	} catch (error) {
		if (DIRECTORY_SYNC_UNSUPPORTED.some((code) => isErrno(error, code))) return;
		throw error;
	}
	try {
		await handle.sync();
	} catch (error) {
		if (!DIRECTORY_SYNC_UNSUPPORTED.some((code) => isErrno(error, code))) throw error;
	} finally {
		await handle.close();
	}
}

/** Creates the directory (and parents) owner-only; tightens an existing one. */
export async function ensureDirectory(path: string): Promise<void> {
	await mkdir(path, { recursive: true, mode: DIRECTORY_MODE });
	await chmod(path, DIRECTORY_MODE);
}

/**
 * Writes `text` to a new temporary file next to `path` (mode 0600, fsynced) and returns its name; the
 * caller renames or links it into place, or removes it.
 */
export async function writeTemporaryFile(path: string, text: string | Uint8Array): Promise<string> {
	const temporary = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
	const handle = await open(temporary, "wx", FILE_MODE);
	try {
		await (typeof text === "string" ? handle.writeFile(text, "utf8") : handle.writeFile(text));
		await handle.sync();
	} catch (error) {
		await handle.close();
		await unlink(temporary).catch(() => undefined);
		throw error;
	}
	await handle.close();
	return temporary;
}

export async function writeFileAtomic(path: string, text: string | Uint8Array): Promise<void> {
	const directory = dirname(path);
	await mkdir(directory, { recursive: true, mode: DIRECTORY_MODE });
	const temporary = await writeTemporaryFile(path, text);
	try {
		await rename(temporary, path);
	} catch (error) {
		await unlink(temporary).catch(() => undefined);
		throw error;
	}
	await syncDirectory(directory);
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
