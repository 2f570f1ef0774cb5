// Where command results go. Human mode: results on stdout, notices and errors on stderr (colour if
// wanted). --json mode: exactly one JSON document per result on stdout (one per line for streams),
// errors as {"ok": false, "error": {...}} on stdout too, so scripts read one stream; notices on stderr.
// Nothing here ever receives a token or a private key.
import type { CliError } from "../errors.ts";
import { createStyle, type Style } from "./style.ts";

export interface OutputStreams {
	stdout: NodeJS.WritableStream;
	stderr: NodeJS.WritableStream;
}

export class Output {
	readonly style: Style;

	constructor(
		readonly json: boolean,
		color: boolean,
		private readonly streams: OutputStreams,
	) {
		this.style = createStyle(color && !json);
	}

	/** A command's result: `human` lines in human mode, `data` as one JSON line in --json mode. */
	result(human: string | readonly string[], data: object): void {
		if (this.json) this.writeJson(data);
		else this.streams.stdout.write(`${typeof human === "string" ? human : human.join("\n")}\n`);
	}

	/** A line for people only (progress, hints); stderr, so stdout stays the command's result. */
	notice(text: string): void {
		this.streams.stderr.write(`${text}\n`);
	}

	/** One JSON object on its own line (streams such as `receive --json`). */
	writeJson(data: object): void {
		this.streams.stdout.write(`${JSON.stringify(data)}\n`);
	}

	error(error: CliError): void {
		if (this.json) {
			this.writeJson({
				ok: false,
				error: {
					code: error.code,
					exitCode: error.exitCode,
					message: error.message,
					...(error.hint ? { hint: error.hint } : {}),
					...error.details,
				},
			});
			return;
		}
		const lines = [`${this.style.red(this.style.bold("error:"))} ${error.message}`];
		if (error.hint) lines.push(`${this.style.dim("hint:")} ${error.hint}`);
		this.streams.stderr.write(`${lines.join("\n")}\n`);
	}
}
