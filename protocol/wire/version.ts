// FriendLy relay protocol version (docs/PROTOCOL.md §Versioning). HTTP routes live under /v1; the
// WebSocket `hello` frame carries PROTOCOL_VERSION and the relay refuses any other value.
export const PROTOCOL_VERSION = 1;
export const API_PREFIX = "/v1";
