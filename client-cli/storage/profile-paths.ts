// Where a profile lives (docs/CLI.md §Storage): $FRIENDLY_HOME/<profile> when FRIENDLY_HOME is set,
// else $XDG_DATA_HOME/friendly/<profile> (default ~/.local/share/friendly/<profile>). Profiles are
// separate identities on one machine (one phone number each); their names are restricted so they are
// safe as directory names.
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { CliError } from "../errors.ts";
import { EXIT_CODES } from "../exit-codes.ts";

export const DEFAULT_PROFILE = "default";
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkProfileName(name: string): string {
	if (!PROFILE_NAME.test(name)) {
		throw new CliError(
			EXIT_CODES.usage,
			"invalid_profile",
			`"${name.slice(0, 70)}" is not a valid profile name.`,
			"Use letters, digits, dot, dash or underscore (up to 64 characters), e.g. --profile alice.",
		);
	}
	return name;
}

export function profileDirectory(profile: string, env: NodeJS.ProcessEnv): string {
	const name = checkProfileName(profile);
	const home = env.FRIENDLY_HOME;
	if (home) return join(home, name);
	const xdgData = env.XDG_DATA_HOME;
	const dataHome = xdgData && isAbsolute(xdgData) ? xdgData : join(homedir(), ".local", "share");
	return join(dataHome, "friendly", name);
}
