// Deleting an account (docs/PROTOCOL.md §Deleting an account): the body of DELETE /v1/account. The
// client names the number it means to delete; the relay refuses the call unless that is the number the
// bearer token belongs to, so a token mixed up between profiles cannot delete the wrong account.
import * as v from "valibot";
import { Phone } from "./primitives.ts";

// DELETE /v1/account (answered 204 once everything the relay held for the phone is gone)
export const AccountDeletion = v.strictObject({ phone: Phone });
export type AccountDeletion = v.InferOutput<typeof AccountDeletion>;
