// `friendly verify <phone> [--accept | --reject] [--mark-verified]`: shows the safety number with a
// contact (the 60 digits both of you see; compare them in person or on a call). When the contact's
// identity key changed, shows the NEW number prominently and keeps sending blocked until --accept
// (after comparing) or --reject (keep the old key: messages signed by the new one are dropped and
// their sender is told "not delivered"). A rejected key can still be accepted later with --accept.
// --mark-verified records that you compared it (and accepts a pending change, since the number you
// compared is the new one). Fetches the contact's keys first if you never talked.
import { Command } from "commander";
import * as v from "valibot";
import type { Messenger, MessengerStores } from "../../protocol/messenger/index.ts";
import type { SafetyNumber } from "../../protocol/session/index.ts";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { openMessengerSession } from "../messenger-session.ts";
import { keyChangedHeadline, safetyNumberBlock, safetyNumberJson } from "../output/format.ts";
import type { Style } from "../output/style.ts";
import { checkRelayReachable } from "../relay-check.ts";
import { Runtime } from "../run.ts";

const VerifyOptions = v.object({
	accept: v.optional(v.boolean()),
	reject: v.optional(v.boolean()),
	markVerified: v.optional(v.boolean()),
});

export interface VerifyResult {
	phone: string;
	safetyNumber: SafetyNumber;
	verified: boolean;
	/** The key changed and the change is still not accepted (sending blocked). */
	pendingChange: boolean;
	accepted: boolean;
	rejected: boolean;
	/** A new key was rejected earlier (and can still be accepted with --accept). */
	hasRejectedChange: boolean;
}

export function verifyCommand(runtime: Runtime): Command {
	return new Command("verify")
		.description("show the safety number with a contact; accept a changed key or mark it verified")
		.argument("<phone>", "the contact")
		.option("--accept", "accept the contact's new identity key (after comparing safety numbers)")
		.option("--reject", "reject the contact's new identity key (keep the old one; they are told)")
		.option("--mark-verified", "record that you compared the safety number with them")
		.action((phone: string, _options: unknown, command: Command) =>
			runtime.run(command, async (context) => {
				const options = Runtime.options(VerifyOptions, command);
				if (options.accept && options.reject) {
					throw new CliError(
						EXIT_CODES.usage,
						"usage",
						"--accept and --reject cannot be used together.",
						"Compare the safety number first, then choose one: friendly verify <phone> --accept",
					);
				}
				const peer = context.phone(phone);
				const session = await openMessengerSession(context, {
					onEvent: () => undefined,
					requireRelay: false,
				});
				try {
					context.peer = peer;
					const result = await verifyContact(session.messenger, session.profile.stores, peer, {
						accept: options.accept === true,
						reject: options.reject === true,
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
	options: { accept: boolean; reject?: boolean; markVerified: boolean; beforeNetwork?: () => Promise<void> },
): Promise<VerifyResult> {
	let contact = await stores.contacts.loadContact(peer);
	let accepted = false;
	let rejected = false;
	const decidable = contact?.pendingIdentityChange ?? contact?.rejectedIdentityChange;
	if (decidable && (options.accept || options.markVerified)) {
		await messenger.acceptIdentityChange(peer);
		accepted = true;
		contact = await stores.contacts.loadContact(peer);
	} else if (contact?.pendingIdentityChange && options.reject) {
		await messenger.rejectIdentityChange(peer);
		rejected = true;
		contact = await stores.contacts.loadContact(peer);
	}
	const hasRejectedChange = contact?.rejectedIdentityChange !== undefined;
	if (contact?.pendingIdentityChange) {
		const number = await messenger.pendingSafetyNumber(peer);
		if (number)
			return {
				phone: peer,
				safetyNumber: number,
				verified: false,
				pendingChange: true,
				accepted: false,
				rejected: false,
				hasRejectedChange,
			};
	}
	if (!(await stores.identities.loadTrustedIdentity(peer))) {
		await options.beforeNetwork?.();
		await messenger.startChat(peer);
	}
	if (options.markVerified) await messenger.markVerified(peer, true);
	const { safetyNumber, verified } = await messenger.safetyNumber(peer);
	return { phone: peer, safetyNumber, verified, pendingChange: false, accepted, rejected, hasRejectedChange };
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
		if (result.rejected)
			lines.push(
				`Rejected the new identity key of ${result.phone}: messages signed by it are dropped and the sender is told they were not delivered.`,
			);
		lines.push(
			`Safety number with ${result.phone}${result.verified ? ` (${style.green("verified")})` : ""}:`,
		);
	}
	lines.push(...safetyNumberBlock(result.safetyNumber));
	if (result.pendingChange) {
		lines.push(
			`If it matches, accept it: friendly verify ${result.phone} --accept (sending stays blocked until then).`,
			`If you did not expect a change, reject it: friendly verify ${result.phone} --reject`,
		);
	} else if (result.hasRejectedChange) {
		lines.push(
			style.dim(
				`You rejected a new key of ${result.phone}. If they confirm it is theirs: friendly verify ${result.phone} --accept`,
			),
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
		rejected: result.rejected,
		rejectedIdentityChange: result.hasRejectedChange,
	};
}
