// Web Push settings from Worker vars and secrets (docs/DEPLOY.md §Push notifications): the VAPID key
// pair (RFC 8292), the contact the push services see, and an optional allowlist of push service hosts.
// All three VAPID settings empty: push is off. Any of them set but one missing or malformed: the relay
// refuses to serve (config problems), so a half-configured push never fails silently at send time.
import { decodeBase64Url } from "../../protocol/encoding/base64url.ts";

export interface PushConfig {
	/** Uncompressed P-256 point, base64url (the browser's applicationServerKey). */
	vapidPublicKey: string;
	/** The private scalar d, base64url (32 bytes). */
	vapidPrivateKey: string;
	/** mailto: or https: contact of the operator, sent in every VAPID token. */
	vapidSubject: string;
	/** Push service host names (and their subdomains) the relay may POST to; empty: any public host. */
	pushHosts: readonly string[];
}

export interface RawPushSettings {
	VAPID_PUBLIC_KEY: string;
	VAPID_PRIVATE_KEY: string;
	VAPID_SUBJECT: string;
	PUSH_HOSTS: string;
}

const HOST_NAME =
	/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

export function parsePushConfig(raw: RawPushSettings): { push: PushConfig | null; problems: string[] } {
	const publicKey = raw.VAPID_PUBLIC_KEY.trim();
	const privateKey = raw.VAPID_PRIVATE_KEY.trim();
	const subject = raw.VAPID_SUBJECT.trim();
	if (publicKey === "" && privateKey === "" && subject === "") return { push: null, problems: [] };

	const problems: string[] = [];
	const publicBytes = decodeBase64Url(publicKey);
	if (publicBytes?.length !== 65 || publicBytes[0] !== 0x04)
		problems.push(
			"VAPID_PUBLIC_KEY must be an uncompressed P-256 public key in base64url (65 bytes): npm run vapid-keys",
		);
	if (decodeBase64Url(privateKey)?.length !== 32)
		problems.push(
			"push needs the secret VAPID_PRIVATE_KEY (a P-256 private key, 32 bytes in base64url): npm run vapid-keys",
		);
	if (!/^(mailto:[^\s@]+@[^\s@]+|https:\/\/[^\s/]+(\/\S*)?)$/.test(subject))
		problems.push(
			"VAPID_SUBJECT must be a mailto: address or an https: URL where push services can reach you",
		);

	const pushHosts = raw.PUSH_HOSTS.split(",")
		.map((host) => host.trim().toLowerCase())
		.filter((host) => host.length > 0);
	for (const host of pushHosts) {
		if (!HOST_NAME.test(host)) problems.push(`PUSH_HOSTS: "${host}" is not a host name`);
	}
	if (problems.length > 0) return { push: null, problems };
	return {
		push: { vapidPublicKey: publicKey, vapidPrivateKey: privateKey, vapidSubject: subject, pushHosts },
		problems: [],
	};
}
