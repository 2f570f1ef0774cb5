// How both clients word a long wait (a daily quota's reset), so the CLI and the web app say it alike.

/** A wait of hours, as people say it: "6 hours 12 minutes", "1 hour"; null under an hour (say seconds or minutes). */
export function hoursText(seconds: number | undefined): string | null {
	if (seconds === undefined || seconds < 3600) return null;
	const minutes = Math.ceil(seconds / 60);
	const hours = Math.floor(minutes / 60);
	const rest = minutes % 60;
	const hoursPart = hours === 1 ? "1 hour" : `${hours} hours`;
	return rest === 0 ? hoursPart : `${hoursPart} ${rest === 1 ? "1 minute" : `${rest} minutes`}`;
}
