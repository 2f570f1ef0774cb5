// Terminal colours, off with --no-color, NO_COLOR (https://no-color.org), --json, or when the stream
// is not a terminal. Only ANSI SGR codes; no dependency.
export interface Style {
	readonly enabled: boolean;
	bold(text: string): string;
	dim(text: string): string;
	red(text: string): string;
	green(text: string): string;
	yellow(text: string): string;
	cyan(text: string): string;
}

function wrap(enabled: boolean, open: number, close: number) {
	return (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
}

export function createStyle(enabled: boolean): Style {
	return {
		enabled,
		bold: wrap(enabled, 1, 22),
		dim: wrap(enabled, 2, 22),
		red: wrap(enabled, 31, 39),
		green: wrap(enabled, 32, 39),
		yellow: wrap(enabled, 33, 39),
		cyan: wrap(enabled, 36, 39),
	};
}

export function colorWanted(option: boolean, env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }): boolean {
	return option && !env.NO_COLOR && stream.isTTY === true;
}
