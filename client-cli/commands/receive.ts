// `friendly receive [--timeout <s>]`: prints the messages saved but not shown yet, then what is waiting
// at the relay, then what arrives, until interrupted (Ctrl-C) or <s> seconds after the backlog (0: stop
// right after it). With --json, one JSON object per line: {"type":"message",…}, {"type":"status",…},
// {"type":"identity_changed",…}, {"type":"problem",…}, {"type":"resume",…}, and {"type":"drained"} once
// the waiting messages are out ("No messages waiting." on stderr without --json when there were none).
// Contacts you named are shown by name (JSON: `name` beside `from`). Each message is acknowledged to
// the relay only after it was decrypted, saved to history and printed (the messenger acks after the
// event handler returns). A message with a file (docs/CLI.md §Files) is saved into --save-dir (default:
// the XDG download directory) once its digest and every chunk checked, under its sanitised name and never
// over an existing file; --json adds {"type":"attachment","status":"saved"|"failed",…} per file.
import { Command } from "commander";
import * as v from "valibot";
import type { AttachmentRelay, HistoryEntry, MessengerEvent } from "../../protocol/messenger/index.ts";
import { loadNames, unreadMessages } from "../contact-view.ts";
import type { CliContext } from "../context.ts";
import { CliError, problemText, toCliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { openMessengerSession } from "../messenger-session.ts";
import {
	identityChangeJson,
	identityChangeWarning,
	incomingMessage,
	label,
	messageJson,
	statusLine,
} from "../output/format.ts";
import { startPrekeyUpkeep } from "../prekey-upkeep.ts";
import { Runtime } from "../run.ts";
import { defaultSaveDir, saveAttachment } from "./attachment-files.ts";

const ReceiveOptions = v.object({
	timeout: v.optional(
		v.pipe(
			v.string(),
			v.regex(/^[0-9]+(\.[0-9]+)?$/, "--timeout takes a number of seconds"),
			v.transform(Number),
		),
	),
	saveDir: v.optional(v.pipe(v.string(), v.minLength(1))),
});

/** How long the backlog may take to arrive before the relay is considered unreachable. */
const BACKLOG_DEADLINE_MS = 30_000;

export function receiveCommand(runtime: Runtime): Command {
	return new Command("receive")
		.description("print waiting and arriving messages (acknowledged once saved)")
		.option(
			"--timeout <seconds>",
			"stop this many seconds after the waiting messages are printed (0: right after)",
		)
		.option("--save-dir <dir>", "where received files are saved (default: $XDG_DOWNLOAD_DIR or ~/Downloads)")
		.action((_options: unknown, command: Command) =>
			runtime.run(command, (context) => {
				const options = Runtime.options(ReceiveOptions, command);
				return receive(context, options.timeout, options.saveDir ?? defaultSaveDir(context.io.env));
			}),
		);
}

async function receive(
	context: CliContext,
	timeoutSeconds: number | undefined,
	saveDir: string,
): Promise<void> {
	const { output } = context;
	/** Files being downloaded; waited for before the command ends. */
	const saving = new Set<Promise<void>>();
	let relay: AttachmentRelay | null = null;
	const save = (entry: HistoryEntry) => {
		const attachment = entry.attachment;
		if (!attachment || !relay) return;
		const about = { from: entry.peer, id: entry.id, name: attachment.name, size: attachment.size };
		const job = saveAttachment(context, relay, attachment, saveDir).then(
			(path) => {
				if (output.json) output.writeJson({ type: "attachment", status: "saved", ...about, path });
				else output.notice(`Saved ${attachment.name} from ${label(entry.peer, names)} to ${path}`);
			},
			(error: unknown) => {
				const failure = toCliError(error, { relayUrl: context.relayUrl, peer: entry.peer });
				if (output.json)
					output.writeJson({
						type: "attachment",
						status: "failed",
						...about,
						code: failure.code,
						message: failure.message,
					});
				else
					output.notice(
						`${output.style.yellow("warning:")} ${attachment.name} from ${label(entry.peer, names)} was not saved: ${failure.message}${failure.hint ? ` ${failure.hint}` : ""}`,
					);
			},
		);
		saving.add(job);
		void job.finally(() => saving.delete(job));
	};
	let stopping = false;
	let fail: (error: CliError) => void = () => undefined;
	const failed = new Promise<never>((_resolve, reject) => {
		fail = reject;
	});
	failed.catch(() => undefined);
	let received = 0;
	/** The user's names for contacts (loaded once the profile is open; kept current by `contact` events). */
	const names = new Map<string, string>();

	const onEvent = (event: MessengerEvent) => {
		switch (event.type) {
			case "message":
				received += 1;
				shown.add(event.entry.peer);
				if (output.json) output.writeJson(messageJson(event.entry, names));
				else output.result(incomingMessage(event.entry, output.style, names), {});
				save(event.entry);
				return;
			case "status":
				if (output.json)
					output.writeJson({
						type: "status",
						peer: event.peer,
						id: event.id,
						status: event.status,
						...(event.error ? { error: event.error } : {}),
					});
				else output.result(statusLine(label(event.peer, names), event.status, output.style, event.error), {});
				return;
			case "identity_changed":
				if (output.json) output.writeJson(identityChangeJson(event.change));
				else output.result(identityChangeWarning(event.change, output.style, names), {});
				return;
			case "problem":
				if (output.json)
					output.writeJson({
						type: "problem",
						code: event.code,
						message: event.message,
						...(event.peer ? { peer: event.peer } : {}),
					});
				else
					output.notice(
						`${output.style.yellow("warning:")} ${event.peer ? `${label(event.peer, names)}: ` : ""}${problemText(event.code, event.message, { relayUrl: context.relayUrl, ...(event.peer ? { peer: event.peer } : {}) })}`,
					);
				return;
			case "resume":
				if (output.json) output.writeJson({ type: "resume", peer: event.peer });
				else output.notice(`${label(event.peer, names)}'s mailbox has room again; you can send to them.`);
				return;
			case "connection":
				if (event.state === "offline")
					output.notice(output.style.dim(`relay connection lost: ${event.detail}`));
				if (event.state === "stopped" && !stopping) {
					fail(
						new CliError(
							EXIT_CODES.notRegistered,
							event.reason === "replaced" ? "session_replaced" : "session_closed",
							`The relay at ${context.relayUrl} closed this session: ${event.detail}`,
							event.reason === "replaced"
								? "Another FriendLy client is connected with this profile; close it, then try again."
								: `If this profile was signed out, run \`${context.invocation} register <phone>\` again.`,
						),
					);
				}
				return;
			case "contact":
				if (event.contact.name === undefined) names.delete(event.contact.phone);
				else names.set(event.contact.phone, event.contact.name);
				return;
			case "drained":
			case "entry":
				return;
		}
	};

	const session = await openMessengerSession(context, { onEvent, requireRelay: true });
	const account = await session.profile.stores.account.loadAccount();
	if (account) relay = { relayUrl: account.relayUrl, token: account.token };
	for (const [phone, name] of await loadNames(session.profile.stores)) names.set(phone, name);
	const shown = new Set<string>();
	const markShown = async () => {
		for (const peer of shown) await session.messenger.markRead(peer);
		shown.clear();
	};
	let timer: NodeJS.Timeout | undefined;
	let stopUpkeep: () => void = () => undefined;
	let onSignal: () => void = () => undefined;
	const interrupted = new Promise<void>((resolve) => {
		onSignal = () => resolve();
	});
	process.once("SIGINT", onSignal);
	process.once("SIGTERM", onSignal);
	try {
		for (const entry of await unreadMessages(session.profile.stores)) onEvent({ type: "message", entry });
		await markShown();
		session.messenger.start();
		stopUpkeep = startPrekeyUpkeep(session.messenger);
		const backlogDeadline = new Promise<never>((_resolve, reject) => {
			timer = setTimeout(
				() =>
					reject(
						new CliError(
							EXIT_CODES.serverUnreachable,
							"relay_unreachable",
							`Server unreachable at ${context.relayUrl}: no answer from the relay within ${BACKLOG_DEADLINE_MS / 1000} s.`,
							"Check the relay and your connection, then try again.",
						),
					),
				BACKLOG_DEADLINE_MS,
			);
		});
		backlogDeadline.catch(() => undefined);
		await Promise.race([session.messenger.waitForDrain(), failed, backlogDeadline, interrupted]);
		clearTimeout(timer);
		await markShown();
		if (output.json) output.writeJson({ type: "drained", received });
		else if (received === 0) output.notice("No messages waiting.");
		if (!output.json && timeoutSeconds !== 0)
			output.notice(output.style.dim("Listening for new messages (Ctrl-C to stop)…"));
		const listen =
			timeoutSeconds === undefined
				? interrupted
				: new Promise<void>((resolve) => {
						timer = setTimeout(resolve, timeoutSeconds * 1000);
					});
		await Promise.race([listen, failed, interrupted]);
		await markShown();
		// Files still arriving are finished (each reports its own outcome), unless interrupted.
		if (saving.size > 0) await Promise.race([Promise.allSettled([...saving]), interrupted]);
	} finally {
		stopping = true;
		clearTimeout(timer);
		stopUpkeep();
		process.removeListener("SIGINT", onSignal);
		process.removeListener("SIGTERM", onSignal);
		await session.close();
	}
	if (!output.json)
		output.notice(output.style.dim(`${received} message${received === 1 ? "" : "s"} received.`));
}
