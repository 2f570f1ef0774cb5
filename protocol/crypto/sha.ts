// SHA-256 and SHA-512 (FIPS 180-4). SHA-512 is used only by the safety-number iteration, as in Signal's
// numeric fingerprints.

import type { Bytes } from "../encoding/bytes.ts";
import { cryptoBackend } from "./backend.ts";

export const sha256 = (data: Bytes): Promise<Bytes> => cryptoBackend().digest("SHA-256", data);
export const sha512 = (data: Bytes): Promise<Bytes> => cryptoBackend().digest("SHA-512", data);
