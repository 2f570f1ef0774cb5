// Shared fixtures: phones with identities, memory stores, a fake relay key directory.

import type { Bytes } from "../../protocol/encoding/bytes.ts";
import {
	createLocalIdentity,
	createMemoryStores,
	createProtocolContext,
	decryptMessage,
	encryptMessage,
	type MemoryStores,
	manualClock,
	type ProtocolContext,
	prepareKeyUpload,
	publicIdentity,
} from "../../protocol/session/index.ts";
import type { KemPrekey, OneTimePrekey, PrekeyBundle, SignedPrekey } from "../../protocol/wire/keys.ts";
import { requireE164 } from "../../protocol/wire/phone.ts";

export const PHONES = { alice: "+15555550101", bob: "+15555550102", carol: "+15555550103" } as const;

export const clock = manualClock(Date.UTC(2026, 0, 1));

/** What the relay would hold for one phone. */
export interface DirectoryEntry {
	identity: ReturnType<typeof publicIdentity>;
	signedPrekey: SignedPrekey | undefined;
	oneTimePrekeys: OneTimePrekey[];
	/** Suite 2's one-time KEM prekeys (handed out like the one-time prekeys). */
	kemPrekeys: KemPrekey[];
}

export class Directory {
	readonly entries = new Map<string, DirectoryEntry>();

	bundle(phone: string): PrekeyBundle {
		const entry = this.entries.get(phone);
		if (!entry?.signedPrekey) throw new Error(`no keys for ${phone}`);
		const oneTimePrekey = entry.oneTimePrekeys.shift();
		const kemPrekey = entry.kemPrekeys.shift();
		return {
			phone: requireE164(phone),
			identity: entry.identity,
			signedPrekey: entry.signedPrekey,
			...(oneTimePrekey ? { oneTimePrekey } : {}),
			...(kemPrekey ? { kemPrekey } : {}),
		};
	}
}

export interface Party {
	readonly phone: string;
	readonly stores: MemoryStores;
	readonly context: ProtocolContext;
	readonly directory: Directory;
}

export async function makeParty(
	phone: string,
	directory: Directory,
	options: { extractable?: boolean; oneTimePrekeys?: boolean; kemPrekeys?: boolean } = {},
): Promise<Party> {
	const stores = createMemoryStores();
	const identity = await createLocalIdentity({ extractable: options.extractable ?? true, clock });
	await stores.identities.storeLocalIdentity(identity);
	const context = createProtocolContext({ phone, stores, clock });
	const upload = await prepareKeyUpload(context, {
		oneTimePrekeys: options.oneTimePrekeys === false ? 1000 : 0,
		oneTimePrekeyIds: [],
		signedPrekeyId: null,
		// A full relay needs no KEM refill: 100 held ids (none of them ours, so nothing local is kept).
		kemPrekeyIds: options.kemPrekeys === false ? Array.from({ length: 100 }, (_, i) => 1_000_000 + i) : [],
	});
	directory.entries.set(phone, {
		identity: publicIdentity(identity),
		signedPrekey: upload?.signedPrekey,
		oneTimePrekeys: upload?.oneTimePrekeys.slice(0, 20) ?? [],
		kemPrekeys: upload?.kemPrekeys?.slice(0, 20) ?? [],
	});
	return { phone, stores, context, directory };
}

let counter = 0;
export const nextId = (): string => `m${++counter}`;

export const text = (value: string): Bytes => new TextEncoder().encode(value);
export const untext = (value: Uint8Array): string => new TextDecoder().decode(value);

export interface Sent {
	readonly from: string;
	readonly to: string;
	readonly id: string;
	readonly body: string;
	readonly plaintext: string;
}

export async function send(from: Party, to: Party, plaintext: string, id = nextId()): Promise<Sent> {
	const body = await encryptMessage(from.context, {
		to: to.phone,
		id,
		plaintext: text(plaintext),
		fetchBundle: async () => from.directory.bundle(to.phone),
	});
	return { from: from.phone, to: to.phone, id, body, plaintext };
}

export async function receive(to: Party, message: Pick<Sent, "from" | "id" | "body">): Promise<string> {
	const result = await decryptMessage(to.context, { from: message.from, id: message.id, body: message.body });
	return untext(result.plaintext);
}
