// The FriendLy client core shared by the CLI and the web app (see messenger.ts for what it guarantees).

export {
	type AttachmentContent,
	AttachmentPointer,
	decodeAttachmentContent,
	encodeAttachmentContent,
	MAX_FILE_NAME_CHARS,
	sanitiseFileName,
} from "./attachments-content.ts";
export {
	type AttachmentRelay,
	attachmentBlobSize,
	checkAttachmentSize,
	downloadAttachment,
	megabytesText,
	type UploadOptions,
	uploadAttachment,
} from "./attachments-transfer.ts";
export {
	type CreatedBackup,
	createBackup,
	type RestoredBackup,
	readBackup,
	restoreBackup,
} from "./backup.ts";
export { groupRecoveryKey, normaliseRecoveryKey, RECOVERY_KEY_CHARS } from "./backup-key.ts";
export {
	isUserFacingCode,
	MESSENGER_ONLY_CODES,
	toUserFacingCode,
	USER_FACING_CODES,
	type UserFacingCode,
} from "./codes.ts";
export { decodeText, encodeText, MAX_TEXT_CHARS } from "./content.ts";
export { MessengerError, toMessengerError } from "./errors.ts";
export { createMemoryMessengerStores } from "./memory-stores.ts";
export {
	type ChatInfo,
	Messenger,
	type MessengerEvent,
	type MessengerOptions,
	SEND_RETRY_DELAYS_MS,
	SEND_RETRY_WINDOW_MS,
} from "./messenger.ts";
export { MAX_NAME_CHARS, validName } from "./names.ts";
export {
	canonicalPhone,
	completeRegistration,
	type FetchLike,
	loadPendingVerification,
	type RegistrationOptions,
	type RememberCodeOptions,
	requestVerificationCode,
} from "./registration.ts";
export * from "./stores.ts";
export { hoursText } from "./wait-text.ts";
