// `friendly contacts`: everyone this profile has talked to (or named), newest first, with the name you
// gave them and their number, a ✓ for a verified safety number, unread counts, and any key change
// waiting to be accepted. Local only.
import { Command } from "commander";
import { type ContactView, listContactViews } from "../contact-view.ts";
import type { CliContext } from "../context.ts";
import { notRegisteredError } from "../errors.ts";
import { contactLine } from "../output/format.ts";
import type { Style } from "../output/style.ts";
import type { Runtime } from "../run.ts";

export function contactsCommand(runtime: Runtime): Command {
	return new Command("contacts")
		.description("list your conversations (unread, verified, key changes)")
		.action((_options: unknown, command: Command) => runtime.run(command, contacts));
}

async function contacts(context: CliContext): Promise<void> {
	const profile = await context.openProfile(false);
	try {
		const account = await profile.stores.account.loadAccount();
		if (!account) throw notRegisteredError(context.relayFor(account), context.profileName);
		const views = await listContactViews(profile.stores);
		context.output.result(contactLines(views, context.output.style), {
			ok: true,
			contacts: views.map(contactJson),
		});
	} finally {
		await profile.close();
	}
}

export function contactLines(views: readonly ContactView[], style: Style): string[] {
	if (views.length === 0)
		return ["No contacts yet. Start one with: chat <phone> (or friendly send <phone> <message>)."];
	return views.map((view) => contactLine(view.contact, view.verified, style));
}

export function contactJson(view: ContactView): object {
	return {
		phone: view.contact.phone,
		...(view.contact.name === undefined ? {} : { name: view.contact.name }),
		unread: view.contact.unread,
		lastAt: view.contact.lastAt,
		lastText: view.contact.lastText,
		verified: view.verified === true,
		identityChanged: view.contact.pendingIdentityChange !== undefined,
	};
}
