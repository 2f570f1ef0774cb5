// Incremental SHA-256 (FIPS 180-4) for data that never sits in memory whole: the digest of an attachment's
// ciphertext, taken while it streams (protocol/messenger/attachments-transfer.ts). WebCrypto's digest
// takes only whole buffers, so this is @noble/hashes' audited implementation (MIT, pure JavaScript, the
// same code in Node, browsers and workerd; already in the tree under @noble/post-quantum).
import { sha256 } from "@noble/hashes/sha2.js";
import type { Bytes } from "../encoding/bytes.ts";

export interface Sha256Hasher {
	update(data: Uint8Array): void;
	/** The 32-byte digest; the hasher cannot be used afterwards. */
	digest(): Bytes;
}

export function createSha256(): Sha256Hasher {
	const hash = sha256.create();
	return {
		update: (data) => {
			hash.update(data);
		},
		digest: () => new Uint8Array(hash.digest()),
	};
}
