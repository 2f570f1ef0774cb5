// HistoryStore on disk: the local message history, one file per contact (history/<phone>.json, entries
// oldest first), rewritten atomically on every change. The relay keeps nothing once a message is
// acknowledged, so this file is the only record of a conversation.
import * as v from "valibot";
import type { HistoryEntry, HistoryStore } from "../../protocol/messenger/stores.ts";
import { HistoryFileJson } from "./messenger-records.ts";
import { damagedFile, type ProfileFiles, phoneFileName } from "./profile-files.ts";

const DIRECTORY = "history";

export class DiskHistoryStore implements HistoryStore {
	/** Serialises read-modify-write per peer within this process. */
	private readonly writes = new Map<string, Promise<void>>();

	constructor(private readonly files: ProfileFiles) {}

	async storeEntry(entry: HistoryEntry): Promise<void> {
		const previous = this.writes.get(entry.peer) ?? Promise.resolve();
		const next = previous.then(async () => {
			const entries = await this.listEntries(entry.peer);
			const index = entries.findIndex((old) => old.direction === entry.direction && old.id === entry.id);
			if (index >= 0) entries[index] = entry;
			else entries.push(entry);
			entries.sort((a, b) => a.at - b.at);
			await this.files.write(
				`${DIRECTORY}/${phoneFileName(entry.peer)}`,
				JSON.stringify({ kind: "friendly.history", v: 1, peer: entry.peer, entries }),
			);
		});
		this.writes.set(
			entry.peer,
			next.catch(() => undefined),
		);
		await next;
	}

	/** Many entries (a restore) in one rewrite per peer, not one per entry. */
	async storeEntries(entries: readonly HistoryEntry[]): Promise<void> {
		const byPeer = new Map<string, HistoryEntry[]>();
		for (const entry of entries) byPeer.set(entry.peer, [...(byPeer.get(entry.peer) ?? []), entry]);
		for (const [peer, added] of byPeer) {
			const previous = this.writes.get(peer) ?? Promise.resolve();
			const next = previous.then(async () => {
				const keyOf = (e: HistoryEntry) => `${e.direction} ${e.id}`;
				const replacing = new Map(added.map((e) => [keyOf(e), e]));
				const kept = (await this.listEntries(peer)).filter((e) => !replacing.has(keyOf(e)));
				const all = [...kept, ...replacing.values()].sort((a, b) => a.at - b.at);
				await this.files.write(
					`${DIRECTORY}/${phoneFileName(peer)}`,
					JSON.stringify({ kind: "friendly.history", v: 1, peer, entries: all }),
				);
			});
			this.writes.set(
				peer,
				next.catch(() => undefined),
			);
			await next;
		}
	}

	async loadEntry(peer: string, direction: "in" | "out", id: string): Promise<HistoryEntry | undefined> {
		return (await this.listEntries(peer)).find((entry) => entry.direction === direction && entry.id === id);
	}

	async listEntries(peer: string): Promise<HistoryEntry[]> {
		const path = `${DIRECTORY}/${phoneFileName(peer)}`;
		const data = await this.files.readJson(path);
		if (data === undefined) return [];
		const parsed = v.safeParse(HistoryFileJson, data);
		if (!parsed.success) throw damagedFile(path, parsed.issues[0].message);
		return parsed.output.entries;
	}
}
