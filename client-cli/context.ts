// Everything a command needs from its invocation: the global options (parsed, not cast), the
// terminal streams, the resolved relay URL, the profile and how to ask for its passphrase, and the
// Output. Built once per command run by run.ts.
import * as v from "valibot";
import type { AccountRecord } from "../protocol/messenger/index.ts";
import { normalisePhone } from "../protocol/wire/index.ts";
import { CliError, invalidPhoneError } from "./errors.ts";
import { EXIT_CODES } from "./exit-codes.ts";
import { askHidden } from "./interactive/ask.ts";
import { Output } from "./output/output.ts";
import { colorWanted } from "./output/style.ts";
import { type OpenProfile, openProfile } from "./storage/index.ts";
import { DEFAULT_PROFILE, profileDirectory } from "./storage/profile-paths.ts";

export const DEFAULT_RELAY_URL = "http://127.0.0.1:8787";

export const GlobalOptions = v.object({
	server: v.optional(v.string()),
	profile: v.optional(v.string()),
	json: v.optional(v.boolean()),
	color: v.optional(v.boolean()),
});
export type GlobalOptions = v.InferOutput<typeof GlobalOptions>;

export interface Io {
	stdin: NodeJS.ReadStream;
	stdout: NodeJS.WriteStream;
	stderr: NodeJS.WriteStream;
	env: NodeJS.ProcessEnv;
}

function checkRelayUrl(text: string, from: string): string {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new CliError(
			EXIT_CODES.usage,
			"invalid_server",
			`${from} "${text.slice(0, 100)}" is not a URL.`,
			"Use the relay's address, e.g. --server http://127.0.0.1:8787 or https://friendly.example.com.",
		);
	}
	if (url.protocol !== "http:" && url.protocol !== "https:") {
		throw new CliError(
			EXIT_CODES.usage,
			"invalid_server",
			`${from} must be an http:// or https:// URL.`,
			"e.g. --server https://friendly.example.com",
		);
	}
	return url.origin + url.pathname.replace(/\/+$/, "");
}

export class CliContext {
	readonly output: Output;
	readonly profileName: string;
	readonly profileDirectory: string;
	/** --server or FRIENDLY_SERVER, when given: wins over the relay stored with the account. */
	readonly serverOverride: string | undefined;
	/** The relay in use, once known (for error messages). */
	relayUrl: string;
	/** The contact the current operation is about (so `not_registered` is read as "unknown recipient"). */
	peer: string | undefined;

	constructor(
		readonly options: GlobalOptions,
		readonly io: Io,
	) {
		const json = options.json === true;
		this.output = new Output(json, colorWanted(options.color !== false, io.env, io.stdout), io);
		this.profileName = options.profile ?? io.env.FRIENDLY_PROFILE ?? DEFAULT_PROFILE;
		this.profileDirectory = profileDirectory(this.profileName, io.env);
		const server = options.server ?? io.env.FRIENDLY_SERVER;
		this.serverOverride =
			server === undefined || server === ""
				? undefined
				: checkRelayUrl(server, options.server === undefined ? "FRIENDLY_SERVER" : "--server");
		this.relayUrl = this.serverOverride ?? DEFAULT_RELAY_URL;
	}

	/** How to run friendly again for this profile, for hints: `friendly` or `friendly --profile bob`. */
	get invocation(): string {
		return this.profileName === DEFAULT_PROFILE ? "friendly" : `friendly --profile ${this.profileName}`;
	}

	/** stdin and stdout are a terminal a person can answer prompts on (and --json is off). */
	get interactiveTerminal(): boolean {
		return this.io.stdin.isTTY === true && this.io.stdout.isTTY === true && !this.output.json;
	}

	relayFor(account: AccountRecord | undefined): string {
		this.relayUrl = this.serverOverride ?? account?.relayUrl ?? DEFAULT_RELAY_URL;
		return this.relayUrl;
	}

	phone(input: string): string {
		const parsed = normalisePhone(input);
		if (!parsed.ok) throw invalidPhoneError(parsed.reason);
		return parsed.phone;
	}

	openProfile(lock: boolean): Promise<OpenProfile> {
		return openProfile({
			name: this.profileName,
			directory: this.profileDirectory,
			lock,
			passphrase: () => this.passphrase("Passphrase for this profile: "),
			...(this.serverOverride ? { relayOverride: this.serverOverride } : {}),
		});
	}

	/** FRIENDLY_PASSPHRASE, else asked on the terminal (not echoed). */
	async passphrase(question: string): Promise<string> {
		const fromEnv = this.io.env.FRIENDLY_PASSPHRASE;
		if (fromEnv) return fromEnv;
		if (this.io.stdin.isTTY !== true) {
			throw new CliError(
				EXIT_CODES.profileUnavailable,
				"passphrase_required",
				`The profile "${this.profileName}" is passphrase-protected and there is no terminal to ask on.`,
				"Set FRIENDLY_PASSPHRASE for this command.",
			);
		}
		return askHidden(this.io.stdin, this.io.stderr, question);
	}
}
