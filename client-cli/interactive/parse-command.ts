// Parses one line typed at the interactive prompt (the seed's commands plus help, contacts, verify,
// history, name, resend, and register: register this install again after the relay ended its session). Pure, so
// every malformed input has a tested answer. A line that is not a command is a message for the
// current conversation; a line starting with a space is always a message (to send text that begins
// with a command word).

export const COMMANDS = [
	"help",
	"chat",
	"send",
	"quit",
	"contacts",
	"verify",
	"history",
	"name",
	"resend",
	"sendfile",
	"register",
] as const;
export type CommandName = (typeof COMMANDS)[number];

export type ParsedLine =
	| { kind: "empty" }
	| { kind: "text"; text: string }
	| { kind: "command"; name: CommandName; phone?: string; rest: string; flags: ReadonlySet<string> }
	| { kind: "usage"; message: string; hint: string }
	| { kind: "unknown"; word: string };

const ALIASES: Readonly<Record<string, CommandName>> = {
	help: "help",
	"?": "help",
	chat: "chat",
	send: "send",
	quit: "quit",
	exit: "quit",
	contacts: "contacts",
	verify: "verify",
	history: "history",
	name: "name",
	resend: "resend",
	sendfile: "sendfile",
	register: "register",
};

export const USAGE: Readonly<Record<CommandName, string>> = {
	help: "help",
	chat: "chat <phone>",
	send: "send <phone> <message>",
	quit: "quit",
	contacts: "contacts",
	verify: "verify <phone> [accept | reject] [mark-verified]",
	history: "history <phone>",
	name: "name <phone> <name> | name <phone> --clear",
	resend: "resend [id]",
	sendfile: "sendfile <path>",
	register: "register",
};

const PHONE_PART = /^[+0-9().-]+$/;

interface Token {
	text: string;
	start: number;
}

function tokens(line: string): Token[] {
	return [...line.matchAll(/\S+/g)].map((match) => ({ text: match[0], start: match.index }));
}

/** The phone number at the start of `args` (it may be written with spaces: +1 555 555 0100). */
/** Why no phone number starts the arguments: none given (`missing`), or the first one is not one. */
function phoneProblem(args: readonly Token[], missing: string): string {
	const first = args[0];
	return first === undefined
		? missing
		: `"${first.text.slice(0, 30)}" is not a phone number (start with + and the country code).`;
}

function takePhone(args: readonly Token[]): { phone: string; used: number } | undefined {
	const first = args[0];
	if (!first?.text.startsWith("+") || !PHONE_PART.test(first.text)) return undefined;
	let used = 1;
	while (used < args.length && PHONE_PART.test(args[used]?.text ?? "") && !args[used]?.text.startsWith("+")) {
		used += 1;
	}
	return {
		phone: args
			.slice(0, used)
			.map((token) => token.text)
			.join(" "),
		used,
	};
}

export function parseLine(line: string, hasConversation: boolean): ParsedLine {
	if (line.trim() === "") return { kind: "empty" };
	if (/^\s/.test(line)) return { kind: "text", text: line.trim() };
	const all = tokens(line);
	const head = all[0]?.text ?? "";
	const word = head.startsWith("/") ? head.slice(1).toLowerCase() : head.toLowerCase();
	const name = ALIASES[word];
	if (!name) {
		if (hasConversation && !head.startsWith("/")) return { kind: "text", text: line.trim() };
		return { kind: "unknown", word: head.slice(0, 40) };
	}
	const args = all.slice(1);
	const usage = (message: string): ParsedLine => ({
		kind: "usage",
		message,
		hint: `Usage: ${USAGE[name]} — e.g. ${USAGE[name].replaceAll("<phone>", "+1 555 555 0100").replace("<message>", "hello").replace("<name>", "Alice")}`,
	});
	switch (name) {
		case "help":
		case "quit":
		case "contacts":
			return { kind: "command", name, rest: "", flags: new Set() };
		case "register":
			// This profile's own number: a profile holds one number (another one needs another --profile).
			if (args.length > 0)
				return usage("register takes no arguments: it registers this profile's own number again.");
			return { kind: "command", name, rest: "", flags: new Set() };
		case "chat":
		case "history": {
			const phone = takePhone(args);
			if (!phone) return usage(phoneProblem(args, `${name} needs a phone number.`));
			if (phone.used < args.length) return usage(`${name} takes only a phone number.`);
			return { kind: "command", name, phone: phone.phone, rest: "", flags: new Set() };
		}
		case "sendfile": {
			// The rest of the line is the path (it may hold spaces), to the current conversation.
			const first = args[0];
			if (!first) return usage("sendfile needs the path of a file.");
			return { kind: "command", name, rest: line.slice(first.start).trim(), flags: new Set() };
		}
		case "resend": {
			// The last message that was not sent, or the one with this id (from `history`).
			if (args.length > 1) return usage("resend takes at most one message id.");
			return { kind: "command", name, rest: args[0]?.text ?? "", flags: new Set() };
		}
		case "name": {
			const phone = takePhone(args);
			if (!phone) return usage(phoneProblem(args, "name needs a phone number and a name."));
			const nameStart = args[phone.used];
			if (!nameStart) return usage("name needs a name after the phone number (or --clear).");
			const rest = line.slice(nameStart.start).trim();
			if (rest === "--clear" || rest === "-clear")
				return { kind: "command", name, phone: phone.phone, rest: "", flags: new Set(["clear"]) };
			return { kind: "command", name, phone: phone.phone, rest, flags: new Set() };
		}
		case "send": {
			const phone = takePhone(args);
			if (!phone) return usage(phoneProblem(args, "send needs a phone number and a message."));
			const messageStart = args[phone.used];
			if (!messageStart) return usage("send needs a message after the phone number.");
			return {
				kind: "command",
				name,
				phone: phone.phone,
				rest: line.slice(messageStart.start).trim(),
				flags: new Set(),
			};
		}
		case "verify": {
			const phone = takePhone(args);
			if (!phone) return usage(phoneProblem(args, "verify needs a phone number."));
			const flags = new Set<string>();
			for (const token of args.slice(phone.used)) {
				const flag = token.text.replace(/^--?/, "").toLowerCase();
				if (flag === "accept") flags.add("accept");
				else if (flag === "reject") flags.add("reject");
				else if (flag === "mark-verified" || flag === "mark" || flag === "verified")
					flags.add("mark-verified");
				else return usage(`Unknown option "${token.text.slice(0, 30)}" for verify.`);
			}
			if (flags.has("accept") && flags.has("reject")) return usage("Choose one: accept or reject.");
			return { kind: "command", name, phone: phone.phone, rest: "", flags };
		}
	}
}
