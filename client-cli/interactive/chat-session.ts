// The interactive prompt after registration: the seed's chat loop done properly. Typing and receiving
// happen at the same time — the messenger's events (messages, receipts, key-change warnings,
// connection changes) are printed above the line being typed as they arrive — and sends run in order
// in the background, each reporting its outcome (sent, queued, delivered, or why not). `quit` (or
// Ctrl-D / Ctrl-C) waits for unconfirmed sends, then disconnects cleanly. A line typed while the relay
// is unreachable is shown as pending; the messenger keeps trying it, under its id, until the relay
// confirms it. Contacts the user named (`name`) are shown by that name.
// When the relay ends the session (the number was registered on another device, or the token was
// revoked) the prompt says so and `register` registers this install again, keeping its identity keys
// and contacts; the new session replaces the old one in place. When the relay already refuses the
// stored token at start-up, the client goes straight to that registration.
import {
	type HistoryEntry,
	Messenger,
	type MessengerEvent,
	type OutgoingStatus,
} from "../../protocol/messenger/index.ts";
import { uploadFile } from "../commands/attachment-files.ts";
import { contactLines } from "../commands/contacts.ts";
import { findOutgoing } from "../commands/resend.ts";
import { verifyContact, verifyLines } from "../commands/verify.ts";
import { listContactViews, loadNames, unreadMessages } from "../contact-view.ts";
import type { CliContext } from "../context.ts";
import { type CliError, problemText, toCliError } from "../errors.ts";
import { sessionRefused } from "../messenger-session.ts";
import {
	historyLines,
	identityChangeWarning,
	incomingMessage,
	label,
	labelWithNumber,
	safetyNumberShort,
	statusLine,
} from "../output/format.ts";
import { startPrekeyUpkeep } from "../prekey-upkeep.ts";
import type { OpenProfile } from "../storage/index.ts";
import { HELP_LINES } from "./help.ts";
import type { LineReader } from "./line-reader.ts";
import { parseLine } from "./parse-command.ts";
import { registerAgainInteractively } from "./registration-prompt.ts";

const REGISTER_HINT =
	"Type `register` to register this install again with the same number: it keeps its identity keys and contacts.";

export class ChatSession {
	private messenger: Messenger | undefined;
	/** Events of a messenger replaced by a re-registration are not shown. */
	private generation = 0;
	/** The relay ended this install's session; only `register` (and local commands) work. */
	private signedOut = false;
	private current: string | undefined;
	private sendQueue: Promise<void> = Promise.resolve();
	private unconfirmed = 0;
	private stopping = false;
	private wasOnline = false;
	private offlineReported = false;
	private stopUpkeep: () => void = () => undefined;
	private readMarks: Promise<void> = Promise.resolve();
	private statusPrints: Promise<void> = Promise.resolve();
	/** The user's names for contacts, kept current from `contact` events. */
	private readonly names = new Map<string, string>();

	constructor(
		private readonly context: CliContext,
		private readonly profile: OpenProfile,
		private readonly reader: LineReader,
	) {}

	print(line: string): void {
		this.reader.printAbove(line);
	}

	printError(error: unknown): void {
		const failure = toCliError(error, {
			relayUrl: this.context.relayUrl,
			...(this.context.peer ? { peer: this.context.peer } : {}),
		});
		const { style } = this.context.output;
		this.print(`${style.red(style.bold("error:"))} ${failure.message}`);
		const hint = this.promptHint(failure);
		if (hint) this.print(`${style.dim("hint:")} ${hint}`);
	}

	/** A command's hint as it applies at the prompt (prompt commands, not `friendly …` command lines). */
	private promptHint(failure: CliError): string | undefined {
		if (failure.code === "unauthenticated") return REGISTER_HINT;
		return failure.hint?.replaceAll("friendly verify", "verify");
	}

	/**
	 * Runs the prompt until quit or end of input. `checkSession`: ask the relay first whether it still
	 * accepts the stored session, and register again straight away if not (skipped right after a
	 * first registration).
	 */
	async run(options: { checkSession: boolean }): Promise<void> {
		const { style } = this.context.output;
		const account = await this.profile.stores.account.loadAccount();
		if (options.checkSession && account && (await sessionRefused(account))) {
			this.print(
				style.red(
					`The relay at ${this.context.relayUrl} no longer accepts this install's session: the number was registered on another device, or the session was signed out.`,
				),
			);
			const outcome = await registerAgainInteractively(
				this.context,
				this.profile,
				this.promptIo(),
				account.phone,
			);
			if (outcome.kind === "cancelled") {
				this.print("Registration cancelled.");
				return;
			}
			if (outcome.kind === "failed") this.signedOut = true;
		}
		const messenger = await this.openMessenger();
		for (const [phone, name] of await loadNames(this.profile.stores)) this.names.set(phone, name);
		if (this.signedOut) {
			this.print(style.yellow(`Signed out as ${style.bold(messenger.phone)}. ${REGISTER_HINT}`));
		} else {
			this.print(`Signed in as ${style.bold(messenger.phone)} — connecting to ${this.context.relayUrl}…`);
			this.print("Type `chat <phone>` to start a conversation, `help` for all commands.");
		}
		const unread = await unreadMessages(this.profile.stores);
		if (unread.length > 0) this.print("Unread messages:");
		for (const entry of unread) {
			this.print(incomingMessage(entry, style, this.names));
			await messenger.markRead(entry.peer);
		}
		if (!this.signedOut) this.connect(messenger);
		try {
			for (;;) {
				const line = await this.reader.ask(this.current ? `${label(this.current, this.names)}> ` : "> ");
				if (line === null) break;
				if (!(await this.handle(line))) break;
			}
		} finally {
			await this.quit();
		}
	}

	private promptIo() {
		return {
			reader: this.reader,
			print: (line: string) => this.print(line),
			printError: (error: unknown) => this.printError(error),
		};
	}

	/** A messenger for the stored account; its events are shown while it is the current one. */
	private async openMessenger(): Promise<Messenger> {
		this.generation += 1;
		const generation = this.generation;
		const messenger = await Messenger.open({
			stores: this.profile.stores,
			onEvent: (event) => {
				if (generation === this.generation) this.onEvent(event);
			},
		});
		this.messenger = messenger;
		return messenger;
	}

	private connect(messenger: Messenger): void {
		this.wasOnline = false;
		this.offlineReported = false;
		messenger.start();
		this.stopUpkeep = startPrekeyUpkeep(messenger);
	}

	/**
	 * `register` at the prompt: the same code questions as the first run, for this profile's number,
	 * keeping its identity keys; then a new session replaces the ended one. False: end of input.
	 */
	private async registerAgain(messenger: Messenger): Promise<boolean> {
		const { style } = this.context.output;
		if (!this.signedOut) {
			this.print(
				`This install is signed in as ${messenger.phone}; \`register\` is for when the relay has ended its session.`,
			);
			return true;
		}
		// Whatever the ended session still does is not shown any more.
		this.generation += 1;
		this.stopUpkeep();
		messenger.stop();
		const outcome = await registerAgainInteractively(
			this.context,
			this.profile,
			this.promptIo(),
			messenger.phone,
		);
		if (outcome.kind !== "registered") {
			this.print(style.yellow("Still signed out: type `register` to try again, or `quit`."));
			return outcome.kind !== "cancelled";
		}
		this.signedOut = false;
		const renewed = await this.openMessenger();
		this.print(`Signed in as ${style.bold(renewed.phone)} again — connecting to ${this.context.relayUrl}…`);
		this.connect(renewed);
		return true;
	}

	private async quit(): Promise<void> {
		if (this.unconfirmed > 0) {
			this.print(
				`Waiting for the relay to confirm ${this.unconfirmed} message${this.unconfirmed === 1 ? "" : "s"}…`,
			);
		}
		await this.sendQueue;
		// Automatic re-sends (after a contact's delivery notice) finish before the connection closes.
		await this.messenger?.settled();
		await this.statusPrints;
		this.stopping = true;
		this.stopUpkeep();
		this.messenger?.stop();
		this.print("Disconnected. Bye.");
	}

	/** Handles one line; false means quit. */
	private async handle(line: string): Promise<boolean> {
		const messenger = this.messenger;
		if (!messenger) return false;
		const parsed = parseLine(line, this.current !== undefined);
		const { style } = this.context.output;
		this.context.peer = undefined;
		// Signed out, nothing can be sent and no new conversation set up until `register`.
		const sends = parsed.kind === "text" || (parsed.kind === "command" && parsed.name === "send");
		if (this.signedOut && (sends || (parsed.kind === "command" && parsed.name === "chat"))) {
			this.print(
				style.yellow(`This install is signed out${sends ? ", so nothing was sent" : ""}. ${REGISTER_HINT}`),
			);
			return true;
		}
		try {
			switch (parsed.kind) {
				case "empty":
					return true;
				case "text":
					if (!this.current) {
						this.print("No conversation open yet: type `chat <phone>` first (or `help`).");
						return true;
					}
					this.queueSend(messenger, this.current, parsed.text);
					return true;
				case "unknown":
					this.print(`${style.yellow("Unknown command")} "${parsed.word}".`);
					this.print(
						this.current
							? "Type `help` for the commands."
							: "Type `help` for the commands, or `chat <phone>` to open a conversation (then plain lines are sent).",
					);
					return true;
				case "usage":
					this.print(`${style.yellow(parsed.message)}`);
					this.print(style.dim(parsed.hint));
					return true;
				case "command":
					break;
			}
			const peer = parsed.phone === undefined ? undefined : this.context.phone(parsed.phone);
			this.context.peer = peer;
			switch (parsed.name) {
				case "help":
					for (const help of HELP_LINES) this.print(help);
					return true;
				case "quit":
					return false;
				case "register":
					return await this.registerAgain(messenger);
				case "contacts":
					for (const contact of contactLines(await listContactViews(this.profile.stores), style))
						this.print(contact);
					return true;
				case "chat": {
					if (!peer) return true;
					const chat = await messenger.startChat(peer);
					this.current = chat.phone;
					const pending = (await this.profile.stores.contacts.loadContact(chat.phone))?.pendingIdentityChange;
					if (pending) {
						for (const warning of identityChangeWarning(pending, style, this.names))
							this.print(warning.replaceAll("friendly verify", "verify"));
						return true;
					}
					const { safetyNumber } = await messenger.safetyNumber(chat.phone);
					this.print(
						`Secure session with ${style.bold(labelWithNumber(chat.phone, this.names))}. Safety number ${safetyNumberShort(safetyNumber)} ${
							chat.verified
								? style.green("(verified)")
								: style.dim(`(not verified: \`verify ${chat.phone}\` to compare)`)
						}`,
					);
					const recent = (await messenger.history(chat.phone)).slice(-5);
					for (const line of historyLines(recent, style, this.names)) this.print(line);
					await messenger.markRead(chat.phone);
					this.print(style.dim("Plain lines are now sent to them."));
					return true;
				}
				case "send":
					if (peer) this.queueSend(messenger, peer, parsed.rest);
					return true;
				case "sendfile": {
					if (!this.current) {
						this.print("No conversation open yet: type `chat <phone>` first, then `sendfile <path>`.");
						return true;
					}
					const to = this.current;
					const account = await this.profile.stores.account.loadAccount();
					if (!account) return true;
					const pointer = await uploadFile(
						this.context,
						{ relayUrl: account.relayUrl, token: account.token },
						parsed.rest,
					);
					const entry = await messenger.sendAttachment(to, pointer, "");
					if (entry.status !== "received") this.printStatus(to, entry.id, entry.status, entry.error);
					return true;
				}
				case "verify": {
					if (!peer) return true;
					const result = await verifyContact(messenger, this.profile.stores, peer, {
						accept: parsed.flags.has("accept"),
						reject: parsed.flags.has("reject"),
						markVerified: parsed.flags.has("mark-verified"),
					});
					for (const out of verifyLines(result, style))
						this.print(out.replaceAll("friendly verify", "verify"));
					return true;
				}
				case "history": {
					if (!peer) return true;
					const entries = await messenger.history(peer);
					if (entries.length === 0) this.print(`No messages with ${labelWithNumber(peer, this.names)} yet.`);
					for (const line of historyLines(entries, style, this.names)) this.print(line);
					await messenger.markRead(peer);
					return true;
				}
				case "name": {
					if (!peer) return true;
					const contact = await messenger.setName(peer, parsed.flags.has("clear") ? null : parsed.rest);
					this.print(
						contact.name === undefined
							? `${peer} has no name now.`
							: `${peer} is now shown as "${contact.name}" (on this device only).`,
					);
					return true;
				}
				case "resend": {
					const entry =
						parsed.rest === ""
							? await this.lastFailed()
							: await findOutgoing(this.profile.stores, parsed.rest);
					if (!entry) {
						this.print(
							parsed.rest === ""
								? "No message waits to be sent again."
								: `No message you sent has the id "${parsed.rest.slice(0, 64)}".`,
						);
						return true;
					}
					if (entry.status !== "failed" && entry.status !== "sending") {
						this.print(`That message was already ${entry.status}; nothing to resend.`);
						return true;
					}
					this.queueResend(messenger, entry);
					return true;
				}
			}
		} catch (error) {
			this.printError(error);
			return true;
		}
	}

	/** The newest outgoing message that was not sent (in the open conversation, else in any). */
	private async lastFailed(): Promise<HistoryEntry | undefined> {
		const peers = this.current
			? [this.current]
			: (await this.profile.stores.contacts.listContacts()).map((contact) => contact.phone);
		let last: HistoryEntry | undefined;
		for (const peer of peers) {
			for (const entry of await this.profile.stores.history.listEntries(peer)) {
				if (entry.direction === "out" && entry.status === "failed" && (!last || entry.at >= last.at))
					last = entry;
			}
		}
		return last;
	}

	/** Sends in order in the background; the outcome is printed from the messenger's status events. */
	private queueSend(messenger: Messenger, peer: string, text: string): void {
		if (messenger.connectionState !== "online") {
			// Typed while the relay is unreachable: say so now; it goes (and "sent" prints) once it is back.
			const { style } = this.context.output;
			this.print(
				`${style.yellow("… pending")} — ${label(peer, this.names)}${style.dim(` · not connected; sent when the relay is back`)}`,
			);
		}
		this.enqueue(peer, () => messenger.send(peer, text));
	}

	private queueResend(messenger: Messenger, entry: HistoryEntry): void {
		this.print(this.context.output.style.dim(`Sending again to ${label(entry.peer, this.names)}…`));
		this.enqueue(entry.peer, () => messenger.resend(entry.peer, entry.id));
	}

	private enqueue(peer: string, send: () => Promise<HistoryEntry>): void {
		this.unconfirmed += 1;
		this.sendQueue = this.sendQueue.then(async () => {
			try {
				const entry = await send();
				if (entry.status === "sending") {
					// Not confirmed in time: the messenger keeps trying it under its id (status lines follow).
					const { style } = this.context.output;
					this.print(
						`${style.yellow("… pending")} — ${label(peer, this.names)}${style.dim(" · the relay has not confirmed it yet; FriendLy keeps trying")}`,
					);
				}
			} catch (error) {
				const failure = toCliError(error, { relayUrl: this.context.relayUrl, peer });
				const { style } = this.context.output;
				this.print(`${style.red("✗ not sent")} to ${label(peer, this.names)}: ${failure.message}`);
				const hint = this.promptHint(failure);
				if (hint) this.print(`${style.dim("hint:")} ${hint}`);
			} finally {
				this.unconfirmed -= 1;
			}
		});
	}

	/** Status lines name the message they are about; looked up in order so they print in order. */
	private printStatus(peer: string, id: string, status: OutgoingStatus, error?: { message: string }): void {
		this.statusPrints = this.statusPrints
			.then(async () => {
				const entry = await this.profile.stores.history.loadEntry(peer, "out", id).catch(() => undefined);
				const { style } = this.context.output;
				this.print(statusLine(label(peer, this.names), status, style, error, entry?.text));
				// Not sent (a refusal retrying could not fix, or 24 hours without the relay): say how to retry.
				if (status === "failed" && entry && entry.redelivery !== "waiting")
					this.print(style.dim(`hint: \`resend ${entry.id}\` sends it again.`));
			})
			.catch(() => undefined);
	}

	private onEvent(event: MessengerEvent): void {
		const { style } = this.context.output;
		switch (event.type) {
			case "message":
				this.print(incomingMessage(event.entry, style, this.names));
				// Shown to the user, so read (chained so the counter updates stay in order).
				this.readMarks = this.readMarks
					.then(() => this.messenger?.markRead(event.entry.peer))
					.catch(() => undefined);
				return;
			case "status":
				if (event.status !== "sending") this.printStatus(event.peer, event.id, event.status, event.error);
				return;
			case "identity_changed":
				for (const line of identityChangeWarning(event.change, style, this.names))
					this.print(line.replaceAll("friendly verify", "verify"));
				return;
			case "problem":
				// The relay refusing the token is followed by the end of the session, which explains it.
				if (event.code === "unauthenticated") return;
				this.print(
					`${style.yellow("warning:")} ${event.peer ? `${label(event.peer, this.names)}: ` : ""}${problemText(
						event.code,
						event.message,
						{
							relayUrl: this.context.relayUrl,
							...(event.peer ? { peer: event.peer } : {}),
						},
					)}`,
				);
				return;
			case "resume":
				this.print(`${label(event.peer, this.names)}'s mailbox has room again; you can send to them.`);
				return;
			case "connection":
				if (event.state === "online") {
					this.print(style.dim(this.wasOnline ? "Reconnected to the relay." : "Connected to the relay."));
					this.wasOnline = true;
					this.offlineReported = false;
				} else if (event.state === "offline") {
					// Said once per outage; the retries that follow are quiet.
					if (this.offlineReported) return;
					this.offlineReported = true;
					this.print(
						style.yellow(
							`Relay connection lost: ${event.detail}. Reconnecting; messages you type are sent when it is back.`,
						),
					);
				} else if (event.state === "stopped" && !this.stopping) {
					if (event.reason === "signed_out") {
						this.signedOut = true;
						this.print(
							style.red(
								"The relay ended this session: the number was registered on another device, or this session was signed out.",
							),
						);
						this.print(style.yellow(REGISTER_HINT));
					} else {
						this.print(style.red(`The relay ended this session: ${event.detail}`));
					}
				}
				return;
			case "contact":
				if (event.contact.name === undefined) this.names.delete(event.contact.phone);
				else this.names.set(event.contact.phone, event.contact.name);
				return;
			case "entry":
				// System entries written while the prompt runs (a not-delivered message) are the status
				// lines already printed; `history` shows them in place.
				return;
			case "drained":
				return;
		}
	}
}
