// HKDF-SHA-256 (RFC 5869): extract with a salt, expand with an info string, in one backend call.
// Every use in FriendLy passes a non-empty salt and its own info label (suite.ts). Output is limited to
// 255 * 32 bytes (RFC 5869 §2.3); larger requests throw before reaching the engine.

import type { Bytes } from "../encoding/bytes.ts";
import { ProtocolError } from "../errors.ts";
import { cryptoBackend } from "./backend.ts";

export const HKDF_SHA256_MAX_BYTES = 255 * 32;

export function hkdfSha256(ikm: Bytes, salt: Bytes, info: Bytes, length: number): Promise<Bytes> {
	if (!Number.isInteger(length) || length < 1 || length > HKDF_SHA256_MAX_BYTES) {
		throw new ProtocolError(
			"invalid_argument",
			`HKDF-SHA-256 output must be 1..${HKDF_SHA256_MAX_BYTES} bytes`,
		);
	}
	return cryptoBackend().hkdf(ikm, salt, info, length);
}
