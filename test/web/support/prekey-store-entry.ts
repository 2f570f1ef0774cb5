// Bundled by test/web/idb-prekey-store.test.ts and run in a real Chromium page: the web client's
// IndexedDB PrekeyStore under one-time prekey pruning, with the tab's write fence claimed as in the app.
// Publishes what it observed on globalThis.__prekeyStoreResult for the Node side to assert.
import { claimBrowserStores, openBrowserStores } from "../../../client-web/src/storage/index.ts";
import { mlKemDecapsulate, mlKemEncapsulate } from "../../../protocol/crypto/ml-kem.ts";
import {
	createLocalIdentity,
	createProtocolContext,
	generateKemPrekeys,
	generateOneTimePrekeys,
	manualClock,
	ONE_TIME_PREKEY_GONE_RETENTION_MS,
	pruneKemPrekeys,
	pruneOneTimePrekeys,
} from "../../../protocol/session/index.ts";

export interface PrekeyStoreResult {
	readonly error?: string;
	/** After a prune (relay lists 3 and 4) raced with a message using key 1. */
	readonly statesAfterMarking?: { keyId: number; goneSince?: number }[];
	readonly key1AfterRace?: boolean;
	/** Key 2 reloaded with its mark: still a usable, non-extractable private key. */
	readonly key2GoneSince?: number;
	readonly key2Extractable?: boolean;
	readonly key2Derives?: boolean;
	/** After 30 days. */
	readonly idsAfterRetention?: number[];
	/** Suite 2's one-time KEM prekeys (ids 1-3, the same ids as EC ones), in the same object store. */
	readonly kemStatesAfterMarking?: { keyId: number; goneSince?: number }[];
	readonly kemKey2Decapsulates?: boolean;
	readonly kemIdsAfterRetention?: number[];
	/** The EC count and list never include the KEM records. */
	readonly oneTimeCountAfterRetention?: number;
}

declare global {
	var __prekeyStoreResult: PrekeyStoreResult | undefined;
}

async function main(): Promise<PrekeyStoreResult> {
	const stores = await openBrowserStores(`prekey-store-test-${crypto.randomUUID()}`);
	await claimBrowserStores(stores);
	const identity = await createLocalIdentity({ extractable: false });
	await stores.identities.storeLocalIdentity(identity);
	const { records } = await generateOneTimePrekeys(identity, 1, 4, 1_000);
	await stores.prekeys.storeOneTimePrekeys(records);
	const kem = await generateKemPrekeys(identity, 1, 3, 1_000);
	await stores.prekeys.storeKemPrekeys(kem.records);
	const clock = manualClock(10_000);
	const context = createProtocolContext({ phone: "+15555550180", stores, clock });
	await Promise.all([pruneOneTimePrekeys(context, [3, 4]), stores.prekeys.removeOneTimePrekey(1)]);
	await Promise.all([pruneKemPrekeys(context, [3]), stores.prekeys.removeKemPrekeys([1])]);
	const kemStatesAfterMarking = [...(await stores.prekeys.listKemPrekeyStates())]
		.map((state) => ({ ...state }))
		.sort((a, b) => a.keyId - b.keyId);
	const kemKey2 = await stores.prekeys.loadKemPrekey(2);
	let kemKey2Decapsulates = false;
	if (kemKey2) {
		const sent = await mlKemEncapsulate(kemKey2.keyPair.publicKey);
		const received = await mlKemDecapsulate(sent.ciphertext, kemKey2.keyPair.secretKey);
		kemKey2Decapsulates = received.every((byte, i) => byte === sent.sharedSecret[i]);
	}
	// Read back through a second connection: what was committed.
	const statesAfterMarking = await committedStates(stores.db.name);
	const key2 = await stores.prekeys.loadOneTimePrekey(2);
	const peer = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
	let key2Derives = false;
	if (key2) {
		const bits = await crypto.subtle.deriveBits(
			{ name: "ECDH", public: peer.publicKey },
			key2.keyPair.privateKey,
			256,
		);
		key2Derives = bits.byteLength === 32;
	}
	clock.advance(ONE_TIME_PREKEY_GONE_RETENTION_MS);
	await pruneOneTimePrekeys(context, [3, 4]);
	await pruneKemPrekeys(context, [3]);
	const kemIdsAfterRetention = (await stores.prekeys.listKemPrekeyStates()).map((state) => state.keyId);
	const oneTimeCountAfterRetention = await stores.prekeys.countOneTimePrekeys();
	const idsAfterRetention = (await stores.prekeys.listOneTimePrekeyStates())
		.map((state) => state.keyId)
		.sort((a, b) => a - b);
	stores.db.close();
	return {
		statesAfterMarking,
		key1AfterRace: statesAfterMarking.some((state) => state.keyId === 1),
		...(key2?.goneSince === undefined ? {} : { key2GoneSince: key2.goneSince }),
		...(key2 ? { key2Extractable: key2.keyPair.privateKey.extractable } : {}),
		key2Derives,
		idsAfterRetention,
		kemStatesAfterMarking,
		kemKey2Decapsulates,
		kemIdsAfterRetention,
		oneTimeCountAfterRetention,
	};
}

/** The one-time prekeys' states in the database, read through another connection, by id. */
async function committedStates(name: string): Promise<{ keyId: number; goneSince?: number }[]> {
	const stores = await openBrowserStores(name);
	const states = (await stores.prekeys.listOneTimePrekeyStates()).map((state) => ({ ...state }));
	stores.db.close();
	return states.sort((a, b) => a.keyId - b.keyId);
}

main().then(
	(result) => {
		globalThis.__prekeyStoreResult = result;
	},
	(error: unknown) => {
		globalThis.__prekeyStoreResult = {
			error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error),
		};
	},
);
