// The closed set of relay error codes (docs/PROTOCOL.md §Errors). Clients branch on `code`; `message`
// is for people and says what to do next.

export const RELAY_ERROR_CODES = [
	"bad_request",
	"bad_frame",
	"not_found",
	"invalid_phone",
	"rate_limited",
	"code_expired",
	"code_incorrect",
	"too_many_attempts",
	"unauthenticated",
	"forbidden_origin",
	"invalid_signature",
	"invalid_key",
	"not_registered",
	"unknown_recipient",
	"mailbox_full",
	"too_large",
	"unknown_message",
	"unsupported_protocol",
	"prekey_limit",
	"delivery_failed",
	/** An attachment blob that expired (30 days) or was never stored. */
	"gone",
	/** A phone's daily attachment quota is used up; `retryAfter` says when it resets. */
	"quota_exceeded",
	/** A request that must say its length (an attachment upload) did not. */
	"length_required",
	"server_misconfigured",
	"internal",
] as const;

export type RelayErrorCode = (typeof RELAY_ERROR_CODES)[number];

/** HTTP status for each code when it answers an HTTP request. */
export const HTTP_STATUS: Readonly<Record<RelayErrorCode, number>> = {
	bad_request: 400,
	bad_frame: 400,
	not_found: 404,
	invalid_phone: 400,
	rate_limited: 429,
	code_expired: 400,
	code_incorrect: 400,
	too_many_attempts: 429,
	unauthenticated: 401,
	forbidden_origin: 403,
	invalid_signature: 400,
	invalid_key: 400,
	not_registered: 404,
	unknown_recipient: 404,
	mailbox_full: 507,
	too_large: 413,
	unknown_message: 400,
	unsupported_protocol: 400,
	prekey_limit: 400,
	delivery_failed: 502,
	gone: 410,
	quota_exceeded: 429,
	length_required: 411,
	server_misconfigured: 503,
	internal: 500,
};

/** WebSocket close codes the relay uses (4000-4999 is the application range, RFC 6455 §7.4.2). */
export const CLOSE_CODES = {
	/** A newer connection for the same phone took over. Do not reconnect automatically. */
	replaced: 4000,
	/** The hello frame carried a missing, wrong or revoked token. */
	unauthenticated: 4001,
	/** No hello frame arrived before the deadline. */
	authTimeout: 4002,
	/** The hello frame asked for a protocol version this relay does not speak. */
	unsupportedProtocol: 4003,
	/** The session token was revoked while connected (sign-out or re-registration elsewhere). */
	revoked: 4004,
} as const;
