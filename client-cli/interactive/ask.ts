// One-off questions on the terminal outside the chat prompt: a passphrase (not echoed) and a plain
// answer. The chat prompt has its own line reader (interactive/line-reader.ts).
import { createInterface } from "node:readline";
import { Writable } from "node:stream";

export function askHidden(
	input: NodeJS.ReadableStream,
	output: NodeJS.WritableStream,
	question: string,
): Promise<string> {
	output.write(question);
	// readline echoes what is typed to its output; this one swallows it.
	const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
	const reader = createInterface({ input, output: muted, terminal: true });
	return new Promise((resolve) => {
		reader.once("line", (answer) => {
			reader.close();
			output.write("\n");
			resolve(answer);
		});
		reader.once("close", () => resolve(""));
	});
}

/** One visible line from `input` (a terminal or a pipe); "" when the input ends first. */
export function askLine(
	input: NodeJS.ReadableStream,
	output: NodeJS.WritableStream,
	question: string,
): Promise<string> {
	output.write(question);
	const reader = createInterface({ input, terminal: false });
	return new Promise((resolve) => {
		let answered = false;
		reader.once("line", (answer) => {
			answered = true;
			reader.close();
			resolve(answer);
		});
		reader.once("close", () => {
			if (!answered) resolve("");
		});
	});
}
