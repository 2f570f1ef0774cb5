// The messenger's side of delivery notices (docs/E2E-PROTOCOL.md §Delivery notices): the notice's
// relay id, and the words the sender's user sees.
import { sha256 } from "../crypto/sha.ts";
import { encodeBase64Url } from "../encoding/base64url.ts";
import { concatBytes, utf8 } from "../encoding/bytes.ts";
import type { DeliveryNoticeReason } from "../wire/index.ts";

/**
 * A notice's relay id: derived from the failed message's id and session, so a notice sent again (the
 * recipient stopped before discarding the message) is stored once by the relay, while a notice about a
 * later attempt of the same message (a new session) gets a new id.
 */
export async function noticeIdFor(messageId: string, session: Uint8Array | undefined): Promise<string> {
	const digest = await sha256(
		concatBytes(utf8("FriendLy notice id\u0000"), utf8(messageId), session ?? new Uint8Array(0)),
	);
	return `n${encodeBase64Url(digest).slice(0, 42)}`;
}

const WHY: Record<DeliveryNoticeReason, string> = {
	no_session: "their app had no conversation for it (they may have reinstalled or registered again)",
	unknown_prekey: "it used a key their app no longer has",
	old_message: "it used a conversation their app had closed (after a key change)",
	too_far_ahead: "too many messages were missing before it",
	decrypt_failed: "their app could not decrypt it",
	identity_rejected: "they did not accept your new safety number",
};

/** "Not delivered: …" for the sender's history, saying what happens next. */
export function notDeliveredText(peer: string, reason: DeliveryNoticeReason, final: boolean): string {
	if (reason === "identity_rejected")
		return `Not delivered: ${peer} did not accept your new safety number. Compare safety numbers with them.`;
	return final
		? `Not delivered: ${WHY[reason]}, again after it was sent once more. Send it again later or check with ${peer}.`
		: `Not delivered: ${WHY[reason]}. Sending it again over a new session.`;
}
