// The phone an object belongs to. Objects are only reached by name (`env.PHONE.getByName(phone)`), and
// the runtime gives that name to the object as `ctx.id.name`, also when an alarm wakes it cold
// (test/worker/phone-name.test.ts). A copy is stored at registration, for a wake-up that would not
// carry the name; objects registered before the name was available already have that copy.
import { canonicalPhone, type E164 } from "../../protocol/wire/index.ts";

export function phoneName(id: DurableObjectId, sql: SqlStorage): E164 | null {
	return canonicalPhone(id.name) ?? storedPhoneName(sql);
}

export function storePhoneName(sql: SqlStorage, phone: E164): void {
	sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('phone', ?)", phone);
}

function storedPhoneName(sql: SqlStorage): E164 | null {
	const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'phone'").toArray()[0];
	return row ? canonicalPhone(row.value) : null;
}
