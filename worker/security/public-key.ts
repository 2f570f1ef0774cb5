// Rejects public keys that are not points on P-256 before they are stored (invalid-curve defence),
// with protocol/crypto's import, which insists on a 65-byte uncompressed point on the curve.
import { importEcdhPublicKey } from "../../protocol/crypto/ecdh.ts";
import type { Bytes } from "../../protocol/encoding/bytes.ts";
import { isProtocolError } from "../../protocol/errors.ts";

export async function isP256Point(bytes: Bytes): Promise<boolean> {
	try {
		await importEcdhPublicKey(bytes);
		return true;
	} catch (error) {
		if (isProtocolError(error, "invalid_key")) return false;
		throw error;
	}
}
