// Deleting an account end to end (issue 15): Messengers on the real relay over real HTTP and
// WebSockets. After DELETE /v1/account the relay's own routes show nothing left (the token refused,
// no keys to fetch), the open connection is closed, a contact's send is refused unknown_recipient,
// and the number registers again as new — which the contact meets through the key-change flow. Then a
// backup restored into the new install brings the history back. The CLI and the web app:
// test/cli/account.test.ts, test/web/your-data.test.ts; inside workerd: test/worker/account.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RelayHttpClient, RelayRequestError } from "../../protocol/client/index.ts";
import { createBackup, createMemoryMessengerStores, restoreBackup } from "../../protocol/messenger/index.ts";
import { received, registerUser } from "../support/messenger-user.ts";
import { type RunningRelay, startRelay } from "../support/relay-process.ts";

let relay: RunningRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay.close());

async function relayCode(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
		return "ok";
	} catch (error) {
		return error instanceof RelayRequestError ? error.code : String(error);
	}
}

describe("deleting an account", () => {
	it("leaves nothing on the relay; a contact's send is unknown_recipient; the number comes back as new", async () => {
		const hana = await registerUser(relay.url, "+1 555 555 0401");
		const ivan = await registerUser(relay.url, "+1 555 555 0402");
		hana.messenger.start();
		ivan.messenger.start();
		await ivan.messenger.startChat(hana.phone);
		await ivan.messenger.send(hana.phone, "before");
		await hana.until((events) => received(events).includes("before"), "the first message");
		const backup = await createBackup(hana.stores, Date.now());

		const account = await hana.stores.account.loadAccount();
		const ivanToken = (await ivan.stores.account.loadAccount())?.token ?? "";
		if (!account) throw new Error("hana has no account");
		const http = new RelayHttpClient(relay.url);
		await http.deleteAccount(account.token, account.phone);
		await hana.until(
			(events) => events.some((e) => e.type === "connection" && e.state === "stopped"),
			"the relay closing hana's connection",
		);
		hana.messenger.stop();

		expect(await relayCode(http.prekeyStatus(account.token))).toBe("unauthenticated");
		expect(await relayCode(http.fetchBundle(ivanToken, hana.phone))).toBe("not_registered");
		const refused = await ivan.messenger.send(hana.phone, "after").then(
			(entry) => entry.error?.code ?? entry.status,
			(error: { code?: string }) => error.code,
		);
		expect(refused).toBe("unknown_recipient");

		// The number registers again as new (a new install: a new identity) and restores the backup.
		const stores = createMemoryMessengerStores();
		const restored = await restoreBackup(stores, backup.file, backup.recoveryKey);
		expect(restored.messagesAdded).toBeGreaterThan(0);
		const newHana = await registerUser(relay.url, hana.phone, stores);
		expect((await newHana.messenger.history(ivan.phone)).map((e) => e.text)).toContain("before");
		newHana.messenger.start();
		await newHana.messenger.send(ivan.phone, "back, with my history");
		await ivan.until((events) => events.some((e) => e.type === "identity_changed"), "the key change at Ivan");
		await ivan.messenger.acceptIdentityChange(hana.phone);
		await ivan.until((events) => received(events).includes("back, with my history"), "the held message");
		ivan.messenger.stop();
		newHana.messenger.stop();
	});
});
