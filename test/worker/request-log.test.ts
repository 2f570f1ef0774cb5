// The relay's request log (worker/http/access-log.ts): one line per request with the route pattern,
// never a phone number, token or code (docs/DEPLOY.md §Logs). The Worker and its objects run in the
// test's isolate, so their console output is the console here.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { call } from "./helpers/http.ts";
import { pathPhone } from "./helpers/phones.ts";
import { register, registerWithKeys } from "./helpers/register.ts";
import { connectDrained, messageId, randomBody } from "./helpers/socket.ts";

let logged: string[] = [];

beforeEach(() => {
	logged = [];
	for (const level of ["log", "info", "warn", "error", "debug"] as const) {
		vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
			logged.push(args.map(String).join(" "));
		});
	}
});

afterEach(() => {
	vi.restoreAllMocks();
});

describe("request log", () => {
	it("logs route patterns and statuses, and no phone number, token or code", async () => {
		const alice = await registerWithKeys(1);
		const bob = await register();
		const secrets = [alice.token, bob.token, alice.token.split(".")[1] ?? "", bob.token.split(".")[1] ?? ""];
		const numbers = [alice.phone, bob.phone].flatMap((phone) => [phone.slice(1), phone.slice(-10)]);
		expect((await call(`/v1/keys/${pathPhone(alice.phone)}`, { token: bob.token })).status).toBe(200);
		expect((await call("/v1/keys", { token: alice.token })).status).toBe(200);
		const { socket } = await connectDrained(bob.phone, bob.token);
		socket.send({ type: "send", id: messageId(), to: alice.phone, body: randomBody() });
		await socket.next("sent");
		expect((await call(`/v1/nothing/${pathPhone(alice.phone)}`)).status).toBe(404);

		expect(logged).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/^POST \/v1\/verification\/request 200 \d+ms$/),
				expect.stringMatching(/^POST \/v1\/verification\/confirm 200 \d+ms$/),
				expect.stringMatching(/^PUT \/v1\/keys 200 \d+ms$/),
				expect.stringMatching(/^GET \/v1\/keys\/:phone 200 \d+ms$/),
				expect.stringMatching(/^GET \/v1\/keys 200 \d+ms$/),
				expect.stringMatching(/^GET \/v1\/connect\/:phone 101 \d+ms$/),
				expect.stringMatching(/^GET \(no route\) 404 \d+ms$/),
			]),
		);
		for (const line of logged) {
			for (const secret of [...numbers, ...secrets]) expect(line).not.toContain(secret);
			expect(line).not.toMatch(/%2B|\+1555/i);
		}
	});
});
