// The E2E library's errors. They are defined in protocol/errors.ts, below protocol/crypto (which raises
// them too and must not import the session layer); re-exported here for the library's callers.
export {
	type IdentityChangeEvent,
	isProtocolError,
	PROTOCOL_ERROR_CODES,
	ProtocolError,
	type ProtocolErrorCode,
} from "../errors.ts";
