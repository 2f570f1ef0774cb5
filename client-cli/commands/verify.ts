// `friendly verify <phone> [--accept] [--mark-verified]`: shows the safety number with a contact (the
// 60 digits both of you see; compare them in person or on a call). When the contact's identity key
// changed, shows the NEW number prominently and keeps sending blocked until --accept (after
// comparing). --mark-verified records that you compared it (and accepts a pending change, since the
// number you compared is the new one). Fetches the contact's keys first if you never talked.
import { Command } from "commander";
import * as v from "valibot";
import type { Messenger, MessengerStores } from "../../protocol/messenger/index.ts";
import type { SafetyNumber } from "../../protocol/session/index.ts";
import { openMessengerSession } from "../messenger-session.ts";
import { keyChangedHeadline, safetyNumberBlock, safetyNumberJson } from "../output/format.ts";
import type { Style } from "../output/style.ts";
import { checkRelayReachable } from "../relay-check.ts";
import { Runtime } from "../run.ts";

const VerifyOptions = v.object({
	accept: v.optional(v.boolean()),
	markVerified: v.optional(v.boolean()),
});

export interface VerifyResult {
	phone: string;
	safetyNumber: SafetyNumber;
	verified: boolean;
	/** The key changed and the change is still not accepted (sending blocked). */
	pendingChange: boolean;
	accepted: boolean;
}

export function verifyCommand(runtime: Runtime): Command {
	return new Command("verify")
		.description("show the safety number with a contact; accept a changed key or mark it verified")
		.argument("<phone>", "the contact")
		.option("--accept", "accept the contact's new identity key (after comparing safety numbers)")
		.option("--mark-verified", "record that you compared the safety number with them")
		.action((phone: string, _options: unknown, command: Command) =>
			runtime.run(command, async (context) => {
				const options = Runtime.options(VerifyOptions, command);
				const peer = context.phone(phone);
				const session = await openMessengerSession(context, {
					onEvent: () => undefined,
					requireRelay: false,
				});
				try {
					context.peer = peer;
					const result = await verifyContact(session.messenger, session.profile.stores, peer, {
						accept: options.accept === true,
						markVerified: options.markVerified === true,
						beforeNetwork: () => checkRelayReachable(session.relayUrl),
					});
					context.output.result(verifyLines(result, context.output.style), verifyJson(result));
				} finally {
					await session.close();
				}
			}),
		);
}

export async function verifyContact(
	messenger: Messenger,
	stores: MessengerStores,
	peer: string,
	options: { accept: boolean; markVerified: boolean; beforeNetwork?: () => Promise<void> },
): Promise<VerifyResult> {
	let contact = await stores.contacts.loadContact(peer);
	let accepted = false;
	if (contact?.pendingIdentityChange && (options.accept || options.markVerified)) {
		await messenger.acceptIdentityChange(peer);
		accepted = true;
		contact = await stores.contacts.loadContact(peer);
	}
	if (contact?.pendingIdentityChange) {
		const number = await messenger.pendingSafetyNumber(peer);
		if (number)
			return { phone: peer, safetyNumber: number, verified: false, pendingChange: true, accepted: false };
	}
	if (!(await stores.identities.loadTrustedIdentity(peer))) {
		await options.beforeNetwork?.();
		await messenger.startChat(peer);
	}
	if (options.markVerified) await messenger.markVerified(peer, true);
	const { safetyNumber, verified } = await messenger.safetyNumber(peer);
	return { phone: peer, safetyNumber, verified, pendingChange: false, accepted };
}

export function verifyLines(result: VerifyResult, style: Style): string[] {
	const lines: string[] = [];
	if (result.pendingChange) {
		lines.push(
			keyChangedHeadline(result.phone, style),
			"Their NEW safety number (compare it with theirs before accepting):",
		);
	} else {
		if (result.accepted) lines.push(style.green(`Accepted the new identity key of ${result.phone}.`));
		lines.push(
			`Safety number with ${result.phone}${result.verified ? ` (${style.green("verified")})` : ""}:`,
		);
	}
	lines.push(...safetyNumberBlock(result.safetyNumber));
	if (result.pendingChange) {
		lines.push(
			`If it matches, accept it: friendly verify ${result.phone} --accept (sending stays blocked until then).`,
		);
	} else if (!result.verified) {
		lines.push(
			style.dim(
				`Compare these digits with ${result.phone} in person or on a call; if they match: friendly verify ${result.phone} --mark-verified`,
			),
		);
	}
	return lines;
}

export function verifyJson(result: VerifyResult): object {
	return {
		ok: true,
		phone: result.phone,
		safetyNumber: safetyNumberJson(result.safetyNumber),
		verified: result.verified,
		pendingIdentityChange: result.pendingChange,
		accepted: result.accepted,
	};
}
