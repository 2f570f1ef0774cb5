// Files for `send --file`, `sendfile` and `receive --save-dir` (docs/CLI.md §Files): reading a file as a
// stream into uploadAttachment, and saving a received one so that nothing unchecked and nothing partial
// is ever left under its name, and nothing existing is ever overwritten.
//
// Saving: the plaintext streams into a hidden temporary file in the target directory (mode 0600); only
// when the stream ended cleanly (digest, commitment, every chunk and the padding checked) is it linked
// under the sanitised name — `link` fails if the name exists, so a suffix is tried instead: "photo.jpg",
// "photo (1).jpg", … — and the temporary file removed. Any failure removes the temporary file.
// Transfers go through node:http (streaming-fetch.ts), so memory stays bounded for any file size.
// A progress bar is drawn on stderr when it is a terminal and the transfer takes over a second.
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { link, mkdir, stat, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, extname, join, resolve } from "node:path";
import { Readable, Writable } from "node:stream";
import {
	type AttachmentPointer,
	type AttachmentRelay,
	downloadAttachment,
	megabytesText,
	sanitiseFileName,
	uploadAttachment,
} from "../../protocol/messenger/index.ts";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { streamingFetch } from "../streaming-fetch.ts";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
	".jpg": "image/jpeg",
	".jpeg": "image/jpeg",
	".png": "image/png",
	".gif": "image/gif",
	".webp": "image/webp",
	".pdf": "application/pdf",
	".txt": "text/plain",
	".md": "text/markdown",
	".json": "application/json",
	".zip": "application/zip",
	".mp4": "video/mp4",
	".mp3": "audio/mpeg",
};

export function contentTypeOf(name: string): string {
	return CONTENT_TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";
}

/** The XDG download directory: $XDG_DOWNLOAD_DIR, else ~/Downloads. */
export function defaultSaveDir(env: NodeJS.ProcessEnv): string {
	return env.XDG_DOWNLOAD_DIR && env.XDG_DOWNLOAD_DIR !== ""
		? env.XDG_DOWNLOAD_DIR
		: join(homedir(), "Downloads");
}

/** A progress callback drawing a bar on stderr (a terminal only), from one second into the transfer. */
export function progressBar(
	context: CliContext,
	what: string,
): {
	update: (done: number, total: number) => void;
	end: () => void;
} {
	const stderr = context.io.stderr;
	const started = Date.now();
	let drawn = false;
	let last = 0;
	const visible = stderr.isTTY === true && !context.output.json;
	return {
		update(done, total) {
			const now = Date.now();
			if (!visible || now - started < 1000 || now - last < 100) return;
			last = now;
			drawn = true;
			const share = total === 0 ? 1 : done / total;
			const width = 24;
			const filled = Math.round(share * width);
			stderr.write(
				`\r${what} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${Math.floor(share * 100)}% ${megabytesText(done)} of ${megabytesText(total)}`,
			);
		},
		end() {
			if (drawn) stderr.write("\r\u001b[2K");
		},
	};
}

/** Encrypts and uploads the file at `path`; the pointer to send. */
export async function uploadFile(
	context: CliContext,
	relay: AttachmentRelay,
	path: string,
): Promise<AttachmentPointer> {
	const full = resolve(path);
	let size: number;
	try {
		const info = await stat(full);
		if (!info.isFile()) throw new Error("not a file");
		size = info.size;
	} catch {
		throw new CliError(
			EXIT_CODES.usage,
			"file_unreadable",
			`Cannot read the file ${path}.`,
			"Check the path.",
		);
	}
	const name = basename(full);
	const bar = progressBar(context, `sending ${sanitiseFileName(name)}`);
	try {
		const file = Readable.toWeb(createReadStream(full)) as ReadableStream<Uint8Array>;
		return await uploadAttachment({ ...relay, fetch: relay.fetch ?? streamingFetch }, file, {
			size,
			name,
			contentType: contentTypeOf(name),
			onProgress: bar.update,
		});
	} finally {
		bar.end();
	}
}

function candidateName(name: string, attempt: number): string {
	if (attempt === 0) return name;
	const extension = extname(name);
	const stem = extension === "" || extension === name ? name : name.slice(0, -extension.length);
	return `${stem} (${attempt})${extension === name ? "" : extension}`;
}

/** Downloads, checks and saves `pointer` into `dir` under a name that did not exist; returns the path. */
export async function saveAttachment(
	context: CliContext,
	relay: AttachmentRelay,
	pointer: AttachmentPointer,
	dir: string,
): Promise<string> {
	await mkdir(dir, { recursive: true, mode: 0o700 });
	const name = sanitiseFileName(pointer.name);
	const temporary = join(dir, `.friendly-${randomBytes(8).toString("hex")}.part`);
	const bar = progressBar(context, `receiving ${name}`);
	try {
		const plaintext = await downloadAttachment({ ...relay, fetch: relay.fetch ?? streamingFetch }, pointer, {
			onProgress: bar.update,
		});
		await plaintext.pipeTo(Writable.toWeb(createWriteStream(temporary, { flags: "wx", mode: 0o600 })));
		for (let attempt = 0; ; attempt++) {
			const target = join(dir, candidateName(name, attempt));
			try {
				await link(temporary, target);
				return target;
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 9999) throw error;
			}
		}
	} finally {
		bar.end();
		await unlink(temporary).catch(() => undefined);
	}
}
