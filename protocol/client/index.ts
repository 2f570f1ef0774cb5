// Relay client shared by the CLI and the web app: typed HTTP calls and the live connection.
export * from "./client-errors.ts";
export * from "./relay-connection.ts";
export * from "./relay-http.ts";
