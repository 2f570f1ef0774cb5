// The closed table of `friendly` exit codes (docs/CLI.md §Exit codes). Scripts branch on these, so a
// code's meaning never changes; new situations get a new number. Every failure the CLI reports is a
// CliError carrying one of these (errors.ts), and index.ts is the only place that sets the exit code.

export const EXIT_CODES = {
	/** The command did what was asked. */
	ok: 0,
	/** Something unexpected (a bug, a relay answer this client does not understand, a relay internal error). */
	failure: 1,
	/** Bad usage: unknown command or option, missing argument, invalid phone number, message too long. */
	usage: 2,
	/** The relay could not be reached, or did not confirm in time; nothing was sent. */
	serverUnreachable: 3,
	/** This profile is not registered (or the relay no longer accepts its session): run `friendly register`. */
	notRegistered: 4,
	/** The recipient is not registered with the relay (or has not published keys). */
	unknownRecipient: 5,
	/** The recipient's offline mailbox is full; try again later. */
	mailboxFull: 6,
	/** The contact's identity key changed and the new key is not accepted yet (`friendly verify --accept`). */
	untrustedIdentity: 7,
	/** The relay asked to slow down (too many requests); wait the given time. */
	rateLimited: 8,
	/** The verification code was wrong, expired or used up. */
	verificationFailed: 9,
	/** The profile cannot be used: in use by another `friendly` process, wrong passphrase, damaged files. */
	profileUnavailable: 10,
	/** `verify-web`: the web app the relay serves is not byte for byte the user's own build. */
	webMismatch: 11,
} as const;

export type ExitCodeName = keyof typeof EXIT_CODES;
export type ExitCode = (typeof EXIT_CODES)[ExitCodeName];

/** The table as shown by `friendly --help` and documented in docs/CLI.md. */
export const EXIT_CODE_TABLE: readonly { code: ExitCode; meaning: string }[] = [
	{ code: EXIT_CODES.ok, meaning: "success" },
	{
		code: EXIT_CODES.failure,
		meaning: "unexpected failure (a bug, or a relay answer this client does not understand)",
	},
	{
		code: EXIT_CODES.usage,
		meaning: "bad usage: unknown command or option, missing argument, invalid phone number",
	},
	{
		code: EXIT_CODES.serverUnreachable,
		meaning: "server unreachable (or it did not confirm in time): nothing was sent",
	},
	{
		code: EXIT_CODES.notRegistered,
		meaning: "this profile is not registered (or was signed out): run friendly register",
	},
	{ code: EXIT_CODES.unknownRecipient, meaning: "the recipient is not registered" },
	{ code: EXIT_CODES.mailboxFull, meaning: "the recipient's mailbox is full: try later" },
	{
		code: EXIT_CODES.untrustedIdentity,
		meaning: "the contact's safety number changed: compare, then friendly verify <phone> --accept",
	},
	{ code: EXIT_CODES.rateLimited, meaning: "rate limited by the relay: wait and retry" },
	{ code: EXIT_CODES.verificationFailed, meaning: "verification code wrong, expired or used up" },
	{
		code: EXIT_CODES.profileUnavailable,
		meaning: "profile unavailable: in use by another friendly process, wrong passphrase, damaged files",
	},
	{ code: EXIT_CODES.webMismatch, meaning: "verify-web: the relay's web app differs from your build" },
];
