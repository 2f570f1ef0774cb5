// Which push endpoints the relay will POST to (docs/PROTOCOL.md §Push notifications). An endpoint comes from a client,
// so without this check the relay would send requests wherever a client asked: into the operator's
// network, to metadata services, or at a third party. Only https to a public host name is accepted
// (no IP literals, no single-label or reserved names, no credentials, default port), and only to the
// operator's allowlist when PUSH_HOSTS is set. Outside production, plain http to 127.0.0.1 is allowed
// too, for the local push service tests start (test/support/push-endpoint.ts).
import type { PushConfig } from "./push-config.ts";

/** Suffixes that never name a public push service (RFC 6761, RFC 6762, RFC 8375 and common internal ones). */
const RESERVED_SUFFIXES = [
	"localhost",
	"local",
	"internal",
	"intranet",
	"lan",
	"home",
	"home.arpa",
	"corp",
	"private",
	"arpa",
	"invalid",
	"test",
	"example",
	"onion",
];

export type EndpointCheck = { ok: true; url: URL } | { ok: false; reason: string };

export function checkPushEndpoint(
	endpoint: string,
	push: PushConfig,
	environment: "development" | "production",
): EndpointCheck {
	let url: URL;
	try {
		url = new URL(endpoint);
	} catch {
		return { ok: false, reason: "the endpoint is not a URL" };
	}
	if (url.username !== "" || url.password !== "")
		return { ok: false, reason: "the endpoint may not carry a user name or password" };
	if (url.hash !== "") return { ok: false, reason: "the endpoint may not carry a fragment" };
	if (environment !== "production" && url.protocol === "http:" && url.hostname === "127.0.0.1")
		return { ok: true, url };
	if (url.protocol !== "https:") return { ok: false, reason: "the endpoint must be an https URL" };
	if (url.port !== "") return { ok: false, reason: "the endpoint must use the default https port" };
	const host = url.hostname.toLowerCase().replace(/\.$/, "");
	// The URL parser has already turned every IPv4 spelling (decimal, hex, octal) into dotted form.
	if (host.startsWith("[") || /^[0-9.]+$/.test(host))
		return { ok: false, reason: "the endpoint must name a host, not an IP address" };
	if (!host.includes(".")) return { ok: false, reason: "the endpoint must name a public host" };
	if (RESERVED_SUFFIXES.some((suffix) => host === suffix || host.endsWith(`.${suffix}`)))
		return { ok: false, reason: "the endpoint must name a public host" };
	if (
		push.pushHosts.length > 0 &&
		!push.pushHosts.some((allowed) => host === allowed || host.endsWith(`.${allowed}`))
	)
		return { ok: false, reason: "this relay only sends pushes to the push services its operator allows" };
	return { ok: true, url };
}
