// Registration through the real HTTP routes with echo delivery.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { CodeRequestResponse, PrekeyStatus, RegistrationResponse } from "../../../protocol/wire/index.ts";
import { call, expectOk } from "./http.ts";
import { newIdentity, newOneTimePrekeys, newSignedPrekey, type TestIdentity } from "./keys.ts";
import { newPhone } from "./phones.ts";
import { online } from "./socket.ts";

export async function requestCode(phone: string): Promise<string> {
	const response = await expectOk(
		await call("/v1/verification/request", { body: { phone } }),
		CodeRequestResponse,
	);
	if (response.delivery !== "echo" || response.code === undefined)
		throw new Error("expected echo delivery with the code");
	return response.code;
}

export interface Registered {
	phone: string;
	token: string;
	identity: TestIdentity;
	identityChanged: boolean;
}

export async function register(phone = newPhone(), identity?: TestIdentity): Promise<Registered> {
	const id = identity ?? (await newIdentity());
	const code = await requestCode(phone);
	const response = await expectOk(
		await call("/v1/verification/confirm", { body: { phone, code, identity: id.keys } }),
		RegistrationResponse,
	);
	return {
		phone: response.phone,
		token: response.token,
		identity: id,
		identityChanged: response.identityChanged,
	};
}

/** Registers and publishes a signed prekey and `oneTime` one-time prekeys (ids 1..oneTime). */
export async function registerWithKeys(oneTime = 0, phone = newPhone()): Promise<Registered> {
	const registered = await register(phone);
	await expectOk(
		await call("/v1/keys", {
			method: "PUT",
			token: registered.token,
			body: {
				signedPrekey: await newSignedPrekey(registered.identity, 1),
				oneTimePrekeys: await newOneTimePrekeys(oneTime),
			},
		}),
		PrekeyStatus,
	);
	return registered;
}

export function stubOf(phone: string) {
	return env.PHONE.getByName(phone);
}

/** Moves the phone's code-request history back past the resend spacing (not past the hourly cap). */
export async function allowNewCode(phone: string): Promise<void> {
	await runInDurableObject(stubOf(phone), (_instance, state) => {
		state.storage.sql.exec("UPDATE code_requests SET requested_at = requested_at - 61000");
	});
}

/** Registers an already registered phone again (a new code, a new token). */
export async function reRegister(phone: string, identity?: TestIdentity): Promise<Registered> {
	await allowNewCode(phone);
	return register(phone, identity);
}

/** Two newly registered phones, alice and bob, each connected with its backlog read (a and b). */
export async function connectedPair() {
	const alice = await register();
	const bob = await register();
	return { alice, bob, a: await online(alice), b: await online(bob) };
}
