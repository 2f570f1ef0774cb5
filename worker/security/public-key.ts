// Rejects public keys that are not points on P-256 before they are stored (invalid-curve defence):
// WebCrypto's raw import performs the SEC1 point validation.
import type { Bytes } from "../../protocol/encoding/bytes.ts";

export async function isP256Point(bytes: Bytes): Promise<boolean> {
	try {
		await crypto.subtle.importKey("raw", bytes, { name: "ECDH", namedCurve: "P-256" }, false, []);
		return true;
	} catch {
		return false;
	}
}
