// The fast base64url encoder used on the per-message path must agree with the reference encoder
// (protocol/encoding/base64url.ts) byte for byte, and round-trip through the strict decoder.
import { decodeBase64Url, encodeBase64Url } from "../../protocol/encoding/base64url.ts";
import { encodeBase64UrlFast } from "../../protocol/encoding/base64url-fast.ts";
import { assertEqual, hex, type Suite, seededRandom } from "./harness.ts";

export const encodingSuite: Suite = {
	name: "encoding",
	cases: {
		"fast base64url encoding equals the reference on every length 0-300 and random data": async () => {
			const random = seededRandom(4648);
			for (let length = 0; length <= 300; length++) {
				for (let trial = 0; trial < 3; trial++) {
					const bytes = Uint8Array.from({ length }, () => random.int(256));
					const fast = encodeBase64UrlFast(bytes);
					assertEqual(fast, encodeBase64Url(bytes), `length ${length}`);
					const back = decodeBase64Url(fast);
					assertEqual(back ? hex(back) : "null", hex(bytes), `round trip ${length}`);
				}
			}
		},
	},
};
