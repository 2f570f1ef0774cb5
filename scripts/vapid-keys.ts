// `npm run vapid-keys`: a new VAPID key pair (RFC 8292, ECDSA P-256) for the relay's Web Push
// (docs/DEPLOY.md §Push notifications). Prints the public key for wrangler.toml's VAPID_PUBLIC_KEY and
// the private key for the secret VAPID_PRIVATE_KEY; nothing is written to disk.
import { encodeBase64Url } from "../protocol/encoding/base64url.ts";

const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
	"sign",
	"verify",
])) as CryptoKeyPair;
const publicKey = encodeBase64Url(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
const { d } = await crypto.subtle.exportKey("jwk", pair.privateKey);
if (!d) throw new Error("the private key did not export");

process.stdout.write(
	[
		`VAPID_PUBLIC_KEY="${publicKey}"`,
		`VAPID_PRIVATE_KEY="${d}"`,
		"",
		"Put VAPID_PUBLIC_KEY and VAPID_SUBJECT (mailto: or https: contact) in wrangler.toml [vars], then store",
		"the private key as a secret: npx wrangler secret put VAPID_PRIVATE_KEY --env production",
		"(locally: a line in .dev.vars). Keep the pair: a new public key invalidates every browser's subscription.",
		"",
	].join("\n"),
);
