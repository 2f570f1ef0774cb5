// `friendly send <phone> <message>` (message `-`: read from stdin): sets up the secure session if
// needed (fetch and verify the contact's keys, pin them on first contact), encrypts, signs, sends and
// waits for the relay's answer. Exit 0 when the relay took it (delivered live or queued); otherwise the
// documented code for what went wrong — a message that did not reach the relay is never reported sent.
// One the relay did not confirm in time stays "sending" (exit 3): the next run that connects (send,
// receive, the interactive client) sends it again under its id, for up to 24 hours.
// With --file <path>, the file is encrypted and uploaded first (docs/CLI.md §Files) and the message is
// its optional caption; the result (and --json) carries the attachment's name, size and id.
import { Command } from "commander";
import * as v from "valibot";
import {
	type HistoryEntry,
	MessengerError,
	type MessengerEvent,
	type MessengerStores,
} from "../../protocol/messenger/index.ts";
import { loadNames } from "../contact-view.ts";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { openMessengerSession } from "../messenger-session.ts";
import { entryJson, identityChangeWarning, label, statusLine } from "../output/format.ts";
import { Runtime } from "../run.ts";
import { uploadFile } from "./attachment-files.ts";

const SendOptions = v.object({ file: v.optional(v.pipe(v.string(), v.minLength(1))) });

export function sendCommand(runtime: Runtime): Command {
	return new Command("send")
		.description("send one message (sets up the secure session if needed) and wait for the relay's answer")
		.argument("<phone>", "the recipient, + and country code")
		.argument("[message]", "the text, or - to read it from stdin (with --file: an optional caption)")
		.option("--file <path>", "send this file (encrypted end to end; 25 MB at most by default)")
		.usage("[options] <phone> <message>\n       friendly send [options] <phone> --file <path> [caption]")
		.action((phone: string, message: string | undefined, _options: unknown, command: Command) => {
			const file = Runtime.options(SendOptions, command).file;
			// The text is required unless a file is sent (then it is the optional caption).
			if (message === undefined && file === undefined)
				command.error("error: missing required argument 'message'");
			return runtime.run(command, (context) => send(context, phone, message, file));
		});
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
	let text = "";
	for await (const chunk of stream)
		text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
	return text.replace(/\r?\n$/, "");
}

/** Messages that arrive while sending are saved unread (and acknowledged); `receive` shows them. */
export function sideEvents(context: CliContext) {
	return (event: MessengerEvent) => {
		const { output } = context;
		if (event.type === "message") {
			output.notice(`A message from ${event.entry.peer} arrived meanwhile; \`friendly receive\` shows it.`);
		} else if (event.type === "identity_changed") {
			for (const line of identityChangeWarning(event.change, output.style)) output.notice(line);
		}
	};
}

async function send(
	context: CliContext,
	phoneInput: string,
	messageInput: string | undefined,
	file: string | undefined,
): Promise<void> {
	const peer = context.phone(phoneInput);
	const text = messageInput === "-" ? await readAll(context.io.stdin) : (messageInput ?? "");
	if (text.trim() === "" && file === undefined) {
		throw new CliError(
			EXIT_CODES.usage,
			"empty_message",
			"The message is empty.",
			"Give the text to send, or - to read it from stdin.",
		);
	}
	const session = await openMessengerSession(context, { onEvent: sideEvents(context), requireRelay: true });
	try {
		context.peer = peer;
		session.messenger.start();
		await session.messenger.startChat(peer);
		if (file !== undefined) {
			const account = await session.profile.stores.account.loadAccount();
			if (!account) throw new MessengerError("not_registered", "This profile is not registered.");
			const pointer = await uploadFile(context, { relayUrl: account.relayUrl, token: account.token }, file);
			await reportSend(
				context,
				session.profile.stores,
				await session.messenger.sendAttachment(peer, pointer, text),
			);
			return;
		}
		await reportSend(context, session.profile.stores, await session.messenger.send(peer, text));
	} finally {
		await session.close();
	}
}

/** The outcome of a send (or resend) as the command's result, or the error it ended in. */
export async function reportSend(
	context: CliContext,
	stores: MessengerStores,
	entry: HistoryEntry,
): Promise<void> {
	if (entry.status === "failed") {
		throw new MessengerError(
			entry.error?.code ?? "internal",
			entry.error?.message ?? "The message was not sent.",
		);
	}
	if (entry.status === "sending") {
		throw new CliError(
			EXIT_CODES.serverUnreachable,
			"not_confirmed",
			`The relay at ${context.relayUrl} did not confirm the message in time; it is kept as "sending" (id ${entry.id}).`,
			`FriendLy sends it again under the same id the next time it connects (send, receive or the interactive client), for up to 24 hours.`,
			{ id: entry.id, peer: entry.peer },
		);
	}
	const names = await loadNames(stores);
	context.output.result(statusLine(label(entry.peer, names), entry.status, context.output.style), {
		ok: true,
		...entryJson(entry),
	});
}
