// `friendly resend <id>`: sends a message that was not sent (or not confirmed) again, under its original
// id, so the recipient shows it once even if the first attempt arrived. The id is the one `history
// --json` and `send --json` print; the message is found in whichever conversation holds it. Exit codes
// as for `send`.
import { Command } from "commander";
import type { HistoryEntry, MessengerStores } from "../../protocol/messenger/index.ts";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { openMessengerSession } from "../messenger-session.ts";
import type { Runtime } from "../run.ts";
import { reportSend, sideEvents } from "./send.ts";

export function resendCommand(runtime: Runtime): Command {
	return new Command("resend")
		.description("send a failed message again, under its id (the id from history --json)")
		.argument("<id>", "the message id")
		.action((id: string, _options: unknown, command: Command) =>
			runtime.run(command, (context) => resend(context, id)),
		);
}

/** The outgoing message with this id, in any conversation. */
export async function findOutgoing(stores: MessengerStores, id: string): Promise<HistoryEntry | undefined> {
	for (const contact of await stores.contacts.listContacts()) {
		const entry = await stores.history.loadEntry(contact.phone, "out", id);
		if (entry) return entry;
	}
	return undefined;
}

async function resend(context: CliContext, id: string): Promise<void> {
	const session = await openMessengerSession(context, { onEvent: sideEvents(context), requireRelay: true });
	try {
		const entry = await findOutgoing(session.profile.stores, id.trim());
		if (!entry) {
			throw new CliError(
				EXIT_CODES.usage,
				"unknown_message",
				`No message you sent has the id "${id.slice(0, 64)}".`,
				`\`${context.invocation} history <phone> --json\` shows each message's id.`,
			);
		}
		if (entry.status !== "failed" && entry.status !== "sending") {
			context.output.result(`That message was already ${entry.status}; nothing to resend.`, {
				ok: true,
				resent: false,
				peer: entry.peer,
				id: entry.id,
				status: entry.status,
			});
			return;
		}
		context.peer = entry.peer;
		session.messenger.start();
		await reportSend(context, session.profile.stores, await session.messenger.resend(entry.peer, entry.id));
	} finally {
		await session.close();
	}
}
