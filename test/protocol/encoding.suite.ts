// The one base64url encoder (protocol/encoding/base64url.ts, built for the per-message path) must agree
// with an independent reference (btoa, present in Node, browsers and workerd) byte for byte, match the
// RFC 4648 §10 vectors, and round-trip through the strict decoder.
import { decodeBase64Url, encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { assertEqual, hex, type Suite, seededRandom } from "./harness.ts";

function referenceBase64Url(bytes: Uint8Array): string {
	let binary = "";
	for (const byte of bytes) binary += String.fromCharCode(byte);
	return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export const encodingSuite: Suite = {
	name: "encoding",
	cases: {
		"base64url encoding matches the RFC 4648 vectors": async () => {
			const vectors: [string, string][] = [
				["", ""],
				["f", "Zg"],
				["fo", "Zm8"],
				["foo", "Zm9v"],
				["foob", "Zm9vYg"],
				["fooba", "Zm9vYmE"],
				["foobar", "Zm9vYmFy"],
			];
			for (const [text, encoded] of vectors)
				assertEqual(encodeBase64Url(new TextEncoder().encode(text)), encoded, `"${text}"`);
			assertEqual(encodeBase64Url(Uint8Array.of(0xfb, 0xff, 0xfe)), "-__-", "url-safe alphabet");
		},
		"base64url encoding equals the reference on every length 0-300 and random data": async () => {
			const random = seededRandom(4648);
			for (let length = 0; length <= 300; length++) {
				for (let trial = 0; trial < 3; trial++) {
					const bytes = Uint8Array.from({ length }, () => random.int(256));
					const encoded = encodeBase64Url(bytes);
					assertEqual(encoded, referenceBase64Url(bytes), `length ${length}`);
					const back = decodeBase64Url(encoded);
					assertEqual(back ? hex(back) : "null", hex(bytes), `round trip ${length}`);
				}
			}
		},
	},
};
