// Per-peer session records: creation, adding a new session (the active one first) and retiring
// sessions. A retired session's id is remembered (MAX_RETIRED_SESSIONS per peer) so that a replay of
// one of its messages, including a session-setup message that used no one-time prekey, is reported as
// old_message instead of setting the session up a second time.

import { encodeBase64Url } from "../encoding/base64url.ts";
import type { ProtocolContext } from "./context.ts";
import { type SessionRecord, type SessionState, STATE_VERSION } from "./stores.ts";

/** Sessions kept per peer (the active one first); older ones still decrypt late messages. */
export const MAX_SESSIONS_PER_PEER = 5;
/** Message ids remembered per peer for replay detection. */
export const MAX_RECEIVED_IDS = 2000;
/** Ids of sessions no longer held, remembered per peer. */
export const MAX_RETIRED_SESSIONS = 1000;

export function emptyRecord(peer: string): SessionRecord {
	return { v: STATE_VERSION, peer, sessions: [], received: new Set(), retired: new Set() };
}

function trim(set: Set<string>, limit: number): void {
	while (set.size > limit) {
		const oldest = set.values().next();
		if (oldest.done) break;
		set.delete(oldest.value);
	}
}

export function retire(record: SessionRecord, sessions: readonly SessionState[]): void {
	for (const session of sessions) record.retired.add(encodeBase64Url(session.id));
	trim(record.retired, MAX_RETIRED_SESSIONS);
}

export function addSession(record: SessionRecord, state: SessionState): void {
	const all = [state, ...record.sessions];
	record.sessions = all.slice(0, MAX_SESSIONS_PER_PEER);
	retire(record, all.slice(MAX_SESSIONS_PER_PEER));
}

export function rememberReceived(record: SessionRecord, messageId: string): void {
	record.received.add(messageId);
	trim(record.received, MAX_RECEIVED_IDS);
}

export function isRetired(record: SessionRecord | undefined, sessionId: Uint8Array): boolean {
	return record !== undefined && record.retired.size > 0 && record.retired.has(encodeBase64Url(sessionId));
}

/** Retires every session with `peer`; callers hold the peer's lock. */
export async function retireAllSessions(context: ProtocolContext, peer: string): Promise<void> {
	const record = await context.stores.sessions.loadSessionRecord(peer);
	if (!record || record.sessions.length === 0) return;
	retire(record, record.sessions);
	record.sessions = [];
	await context.stores.sessions.storeSessionRecord(record);
}
