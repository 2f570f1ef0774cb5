// A phone's object knows its phone from its name (worker/phone/phone-name.ts): the runtime gives it
// ctx.id.name for objects reached by getByName, also in an alarm that wakes a cold object; the copy
// stored at registration is the fallback.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { phoneName } from "../../worker/phone/phone-name.ts";
import { newPhone } from "./helpers/phones.ts";
import { register, stubOf } from "./helpers/register.ts";
import { connectDrained } from "./helpers/socket.ts";
import { expectStoredRows } from "./helpers/storage.ts";

describe("the object's phone", () => {
	it("is the object's name, also for a phone that never registered", async () => {
		const phone = newPhone();
		expect(await runInDurableObject(stubOf(phone), (_instance, state) => state.id.name)).toBe(phone);
	});

	it("is known to an alarm that wakes a cold object, without the stored copy", async () => {
		const alice = await register();
		const bob = await register();
		const { socket: a } = await connectDrained(alice.phone, alice.token);
		// A receipt Bob's object owes Alice (a failed hand-over), and no stored copy of Bob's phone.
		await runInDurableObject(stubOf(bob.phone), async (_instance, state) => {
			state.storage.sql.exec("DELETE FROM meta WHERE key = 'phone'");
			state.storage.sql.exec(
				"INSERT INTO outbox (kind, target, message_id, at) VALUES ('receipt', ?, 'owed', ?)",
				alice.phone,
				Date.now(),
			);
			await state.storage.setAlarm(Date.now() + 500);
		});
		await evictDurableObject(stubOf(bob.phone));
		// The runtime's own alarm wakes the object: no request through a stub carries the name here.
		// The receipt names Bob: his object knew its phone in the alarm.
		expect(await a.next("receipt")).toMatchObject({ to: bob.phone, id: "owed" });
		await expectStoredRows(bob.phone, "outbox", 0);
	});

	it("is stored at registration, for a wake-up without a name", async () => {
		const { phone } = await register();
		const stored = await runInDurableObject(stubOf(phone), (_instance, state) =>
			phoneName(
				{ name: undefined, toString: () => state.id.toString(), equals: () => true },
				state.storage.sql,
			),
		);
		expect(stored).toBe(phone);
	});
});
