// Deleting an account (docs/PROTOCOL.md §Deleting an account): the rows of one phone's object that
// hold the account. Afterwards the object is as if the number had never registered: a send to it is
// `unknown_recipient` and the number can register again as new.
//
// Kept on purpose: abuse limits that are not the account's data and would otherwise reset with a
// delete and re-register (code_requests: when codes were asked for; send_buckets and bundle_fetches:
// token buckets), `meta` (the object's own name, which is how it is reached anyway) and `mailbox_seq`
// (the seq high-water: a mailbox opened anew never hands out a seq an old connection could still ack).

/** Every table that holds the account's data; schema.ts lists them all (test/worker/account.test.ts). */
export const ACCOUNT_TABLES = [
	"verification",
	"registration",
	"tokens",
	"signed_prekey",
	"one_time_prekeys",
	"kem_prekeys",
	"mailbox",
	"delivered",
	"refused_senders",
	"outbox",
	"push_subscriptions",
	// Emptied by the object after it deleted each blob from R2 (phone-object.ts deleteAllAttachments).
	// The daily upload quota is counted from these rows, so it starts afresh for a number registered anew.
	"attachments",
] as const;

/** Tables deliberately kept: abuse limits, the object's name and the seq high-water. */
export const KEPT_TABLES = [
	"meta",
	"mailbox_seq",
	"code_requests",
	"send_buckets",
	"bundle_fetches",
] as const;

/** Deletes the account's rows in one transaction: all gone, or (on a crash) nothing. */
export function eraseAccount(storage: DurableObjectStorage): void {
	storage.transactionSync(() => {
		for (const table of ACCOUNT_TABLES) storage.sql.exec(`DELETE FROM ${table}`);
	});
}
