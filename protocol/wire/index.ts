// The FriendLy relay wire protocol: one definition, imported by the worker and both clients.

export * from "./account.ts";
export * from "./attachments.ts";
export * from "./delivery-notice.ts";
export * from "./envelope.ts";
export * from "./errors.ts";
export * from "./frames.ts";
export * from "./http.ts";
export * from "./keys.ts";
export * from "./parse.ts";
export * from "./phone.ts";
export * from "./primitives.ts";
export * from "./push.ts";
export * from "./version.ts";
