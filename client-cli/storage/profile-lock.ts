// One process per profile at a time: the relay allows one connection per phone (a second one would
// push the first off) and two writers could interleave session updates — a forked ratchet reuses
// message keys. So the lock has to be exclusive even when several `friendly` processes start at once
// next to a lock left behind by a crash.
//
// The lock is the file `lock` in the profile directory. Its content names the owner: pid, host name
// and a random nonce (JSON). The algorithm, and why it is safe:
//
// 1. Take: write our content to a temporary file (fsynced), then `link(temp, lock)`. link fails with
//    EEXIST when `lock` exists, so exactly one contender creates it, and it appears with its full
//    content — nobody ever sees an empty or half-written lock. The directory is fsynced.
// 2. Busy: a lock whose owner is alive (same host: `kill(pid, 0)` succeeds or is refused with EPERM;
//    another host: cannot be checked, so it is respected) is never touched: the contender fails with
//    `profile_in_use` (exit 10) naming the pid.
// 3. Stale (the owner is dead, or the content is not a lock at all): it may only be replaced by the
//    one contender that holds the "breaker" for that exact content, `lock.break-<digest of content>`,
//    taken with this same algorithm (recursively: a breaker left by a crash is itself stale and is
//    broken the same way, up to a fixed depth). Holding the breaker, the contender re-reads `lock`;
//    only if it still holds the same stale content does it replace it atomically with
//    `rename(ownTemp, lock)`, then fsyncs the directory and removes the breaker. The content carries a
//    fresh nonce per take, so a given content is stale once and never comes back (no ABA): two
//    contenders cannot both replace the same stale lock — the second either cannot get the breaker
//    (its holder is alive; it waits a moment and looks again) or gets it after the first released it
//    and then sees the first one's live lock, not the stale content.
// 4. Release: remove `lock` only if it still holds our own content (nonce), so a process never removes
//    a lock it does not own. Nobody replaces a lock whose owner is alive, so between our check and
//    the unlink the file is still ours.
//
// A pid can be reused after a crash: a lock naming a live process that is not friendly is reported as
// in use, with what to do (the safe direction). A lock naming this very process but holding a nonce
// this process never created is stale (the pid was reused from a crashed run, e.g. in a container).
import { createHash, randomBytes } from "node:crypto";
import { link, readFile, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as v from "valibot";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { isErrno, syncDirectory, writeFileAtomic, writeTemporaryFile } from "./atomic-file.ts";

export const LOCK_FILE = "lock";
/** lock (0) → its breaker (1) → the breaker's breaker (2) → … */
const MAX_BREAK_DEPTH = 3;
/** How long a contender waits for someone else's takeover of a stale lock to finish. */
const TAKEOVER_WAIT_MS = 5_000;

/** Lock contents this process created and still holds (nonces). */
const heldNonces = new Set<string>();

export interface LockOwner {
	pid: number;
	host?: string;
	nonce?: string;
}

const LockDocument = v.object({
	kind: v.literal("friendly.lock"),
	v: v.literal(1),
	pid: v.pipe(v.number(), v.integer(), v.minValue(1)),
	host: v.string(),
	nonce: v.pipe(v.string(), v.minLength(1)),
});

/** The lock's content for a new take: pid, host and a fresh nonce, one JSON line. */
function lockContent(): { text: string; nonce: string } {
	const nonce = randomBytes(16).toString("hex");
	return {
		text: `${JSON.stringify({ kind: "friendly.lock", v: 1, pid: process.pid, host: hostname(), nonce })}\n`,
		nonce,
	};
}

/** The owner a lock's content names; undefined when it is not a lock (garbage, empty). */
export function parseLockContent(text: string): LockOwner | undefined {
	// Before the nonce, friendly wrote only the pid.
	const legacy = /^\s*([0-9]{1,10})\s*$/.exec(text);
	if (legacy) {
		const pid = Number(legacy[1]);
		return pid > 0 ? { pid } : undefined;
	}
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch {
		return undefined;
	}
	const parsed = v.safeParse(LockDocument, data);
	if (!parsed.success) return undefined;
	const { pid, host, nonce } = parsed.output;
	return { pid, nonce, ...(host !== "" ? { host } : {}) };
}

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return isErrno(error, "EPERM");
	}
}

function ownerAlive(owner: LockOwner): boolean {
	if (owner.host !== undefined && owner.host !== hostname()) return true;
	if (owner.pid === process.pid) return owner.nonce !== undefined && heldNonces.has(owner.nonce);
	return processAlive(owner.pid);
}

/** Raised inside the algorithm when a lock (or breaker) has a live owner. */
class LockBusy extends Error {
	constructor(readonly owner: LockOwner) {
		super("lock busy");
	}
}

/** Raised when a stale lock could not be taken over (too deep, or a takeover that never finished). */
class LockStuck extends Error {}

async function readLock(path: string): Promise<string | undefined> {
	try {
		return await readFile(path, "utf8");
	} catch (error) {
		if (isErrno(error, "ENOENT")) return undefined;
		throw error;
	}
}

/** Creates `path` with `text` only if it does not exist (link is atomic and fails with EEXIST). */
async function createExclusive(path: string, text: string): Promise<boolean> {
	const temporary = await writeTemporaryFile(path, text);
	let created = false;
	try {
		await link(temporary, path);
		created = true;
	} catch (error) {
		if (!isErrno(error, "EEXIST")) throw error;
	} finally {
		await unlink(temporary).catch(() => undefined);
	}
	if (created) await syncDirectory(dirname(path));
	return created;
}

/** Replaces `path` with `text` atomically (only called while holding the breaker for its old content). */
function replace(path: string, text: string): Promise<void> {
	return writeFileAtomic(path, text);
}

/** Removes `path` if it still holds `text` (ours); someone else's lock is left alone. */
async function removeIfOurs(path: string, text: string): Promise<void> {
	if ((await readLock(path)) !== text) return;
	try {
		await unlink(path);
	} catch (error) {
		if (!isErrno(error, "ENOENT")) throw error;
	}
	await syncDirectory(dirname(path));
}

/** The breaker file for one stale content of the lock at `path` (exported for the tests). */
export function breakerPath(path: string, staleContent: string): string {
	const digest = createHash("sha256").update(staleContent).digest("hex").slice(0, 32);
	return `${path}.break-${digest}`;
}

/**
 * Takes `path` with `text`, or throws LockBusy (a live owner) or LockStuck. `depth` counts breakers.
 */
async function acquire(path: string, text: string, depth: number, deadline: number): Promise<void> {
	for (;;) {
		if (await createExclusive(path, text)) return;
		const current = await readLock(path);
		if (current === undefined) {
			// Released in between: try again (unless it keeps coming and going).
			if (Date.now() > deadline) throw new LockStuck("the lock kept changing");
			continue;
		}
		const owner = parseLockContent(current);
		if (owner && ownerAlive(owner)) throw new LockBusy(owner);
		// Stale: replace it only while holding the breaker for exactly this content.
		if (depth >= MAX_BREAK_DEPTH) throw new LockStuck(`stale lock files nested ${depth} deep`);
		const breaker = breakerPath(path, current);
		const breakerContent = lockContent();
		try {
			heldNonces.add(breakerContent.nonce);
			await acquire(breaker, breakerContent.text, depth + 1, deadline);
		} catch (error) {
			heldNonces.delete(breakerContent.nonce);
			if (!(error instanceof LockBusy)) throw error;
			// Someone alive is taking it over: wait for them, then look again (we will see their lock).
			if (Date.now() > deadline) throw new LockStuck("a takeover of the stale lock did not finish");
			await sleep(10 + Math.random() * 30);
			continue;
		}
		try {
			if ((await readLock(path)) === current) {
				await replace(path, text);
				return;
			}
			// Changed under us (taken over and released, or released): look again.
		} finally {
			await removeIfOurs(breaker, breakerContent.text);
			heldNonces.delete(breakerContent.nonce);
		}
	}
}

export interface ProfileLock {
	release(): Promise<void>;
}

export async function lockProfile(directory: string, profile: string): Promise<ProfileLock> {
	const path = join(directory, LOCK_FILE);
	const own = lockContent();
	heldNonces.add(own.nonce);
	try {
		await acquire(path, own.text, 0, Date.now() + TAKEOVER_WAIT_MS);
	} catch (error) {
		heldNonces.delete(own.nonce);
		if (error instanceof LockBusy) throw inUseError(profile, path, error.owner);
		if (error instanceof LockStuck) {
			throw new CliError(
				EXIT_CODES.profileUnavailable,
				"profile_in_use",
				`Could not take over the stale lock of the profile "${profile}" (${error.message}).`,
				`Check that no friendly process uses this profile, then delete ${path} and any ${LOCK_FILE}.break-* files next to it, and try again.`,
			);
		}
		throw error;
	}
	let released = false;
	return {
		release: async () => {
			if (released) return;
			released = true;
			try {
				await removeIfOurs(path, own.text);
			} finally {
				heldNonces.delete(own.nonce);
			}
		},
	};
}

function inUseError(profile: string, path: string, owner: LockOwner): CliError {
	if (owner.host !== undefined && owner.host !== hostname()) {
		return new CliError(
			EXIT_CODES.profileUnavailable,
			"profile_in_use",
			`The profile "${profile}" is in use by a friendly process on another machine (${owner.host.slice(0, 64)}, pid ${owner.pid}).`,
			`Quit it there first, or pick another profile with --profile. If it is no longer running there, delete ${path} and try again.`,
		);
	}
	return new CliError(
		EXIT_CODES.profileUnavailable,
		"profile_in_use",
		`The profile "${profile}" is in use by another friendly process (pid ${owner.pid}).`,
		`Use that session or quit it first, or pick another profile with --profile. If pid ${owner.pid} is not a friendly process (its pid was reused after a crash), delete ${path} and try again.`,
	);
}
