// The interactive prompt's input and output. Lines typed (or piped) are queued and handed out one at a
// time to whoever asks (the registration questions, then the command loop), so nothing typed ahead is
// lost. Output that arrives on its own (incoming messages, receipts, warnings) goes through
// `printAbove`, which on a terminal clears the line being typed, prints, and redraws the prompt with
// what had been typed so far — the typed text is never corrupted or lost.
import { clearLine, createInterface, cursorTo, type Interface } from "node:readline";

export class LineReader {
	private readonly reader: Interface;
	private readonly queued: string[] = [];
	private waiter: ((line: string | null) => void) | null = null;
	private closed = false;
	private prompting = false;
	readonly terminal: boolean;

	constructor(
		input: NodeJS.ReadableStream,
		private readonly output: NodeJS.WritableStream & { isTTY?: boolean },
		private readonly onInterrupt: () => void,
	) {
		this.terminal = output.isTTY === true && "isTTY" in input && input.isTTY === true;
		this.reader = createInterface({ input, output, terminal: this.terminal, historySize: 100 });
		this.reader.on("line", (line) => {
			this.prompting = false;
			if (this.waiter) {
				const wake = this.waiter;
				this.waiter = null;
				wake(line);
			} else {
				this.queued.push(line);
			}
		});
		this.reader.on("close", () => {
			this.closed = true;
			this.prompting = false;
			const wake = this.waiter;
			this.waiter = null;
			wake?.(null);
		});
		this.reader.on("SIGINT", () => this.onInterrupt());
	}

	/** Shows `prompt` and resolves with the next line, or null at end of input (Ctrl-D, closed pipe). */
	ask(prompt: string): Promise<string | null> {
		const next = this.queued.shift();
		if (next !== undefined) return Promise.resolve(next);
		if (this.closed) return Promise.resolve(null);
		this.reader.setPrompt(prompt);
		this.reader.prompt();
		this.prompting = true;
		return new Promise((resolve) => {
			this.waiter = resolve;
		});
	}

	/** Prints a line without disturbing what the user is typing. */
	printAbove(text: string): void {
		if (this.terminal && this.prompting) {
			clearLine(this.output, 0);
			cursorTo(this.output, 0);
			this.output.write(`${text}\n`);
			this.reader.prompt(true);
			return;
		}
		if (!this.terminal && this.prompting) {
			// Piped: the prompt is already out without a newline; start a fresh line.
			this.output.write(`\n${text}\n`);
			this.prompting = false;
			return;
		}
		this.output.write(`${text}\n`);
	}

	close(): void {
		this.reader.close();
	}
}
