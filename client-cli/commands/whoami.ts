// `friendly whoami`: which number this profile is registered as, at which relay, where its files are
// and whether they are passphrase-protected. Never prints the session token or keys.
import { Command } from "commander";
import { ownFingerprint } from "../contact-view.ts";
import type { CliContext } from "../context.ts";
import { notRegisteredError } from "../errors.ts";
import type { Runtime } from "../run.ts";

export function whoamiCommand(runtime: Runtime): Command {
	return new Command("whoami")
		.description("show this profile's number, relay and storage")
		.action((_options: unknown, command: Command) => runtime.run(command, whoami));
}

async function whoami(context: CliContext): Promise<void> {
	const profile = await context.openProfile(false);
	try {
		const account = await profile.stores.account.loadAccount();
		const relayUrl = context.relayFor(account);
		if (!account) throw notRegisteredError(relayUrl, context.profileName);
		const fingerprint = await ownFingerprint(profile.stores);
		context.output.result(
			[
				`${context.output.style.bold(account.phone)} (profile ${context.profileName})`,
				`relay:        ${relayUrl}`,
				`registered:   ${new Date(account.registeredAt).toISOString()}`,
				`identity key: ${fingerprint ?? "missing"}`,
				`files:        ${profile.directory}${profile.protected ? " (passphrase-protected)" : ""}`,
			],
			{
				ok: true,
				phone: account.phone,
				profile: context.profileName,
				relayUrl,
				registeredAt: account.registeredAt,
				identityFingerprint: fingerprint ?? null,
				directory: profile.directory,
				passphraseProtected: profile.protected,
			},
		);
	} finally {
		await profile.close();
	}
}
