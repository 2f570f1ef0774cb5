// Start a chat by phone number: the messenger fetches and pins the contact's keys (trust on first
// use), then the conversation opens.
import { useEffect, useRef, useState } from "preact/hooks";
import { MessengerError } from "../../../protocol/messenger/errors.ts";
import { BackLink } from "../components/BackLink.tsx";
import { PhoneField } from "../components/PhoneField.tsx";
import type { AppController } from "../state/controller.ts";
import { describeError } from "../state/error-text.ts";
import { hrefFor, navigate } from "../state/route.ts";

export function NewChatScreen({ controller }: { controller: AppController }) {
	const [phone, setPhone] = useState("");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | null>(null);
	const input = useRef<HTMLInputElement>(null);
	// The user asked for a new chat: put the cursor in the number field.
	useEffect(() => input.current?.focus(), []);
	return (
		<section class="new-chat" aria-labelledby="new-chat-title">
			<div class="pane-header">
				<BackLink href={hrefFor({ name: "list" })} label="Back to chats" />
				<h2 id="new-chat-title">New chat</h2>
			</div>
			<form
				class="form pane-body"
				onSubmit={async (event) => {
					event.preventDefault();
					setBusy(true);
					setError(null);
					try {
						const chat = await controller.startChat(phone);
						navigate({ name: "chat", peer: chat.phone }, { replace: true });
					} catch (failure) {
						const change = failure instanceof MessengerError ? failure.identityChange : undefined;
						if (change) navigate({ name: "chat", peer: change.phone }, { replace: true });
						else setError(describeError(failure));
					} finally {
						setBusy(false);
					}
				}}
			>
				<PhoneField
					id="new-chat-phone"
					hint="Their number on FriendLy, with + and the country code."
					value={phone}
					invalid={Boolean(error)}
					onInput={setPhone}
					inputRef={input}
				/>
				{error ? (
					<p class="form-error" role="alert">
						{error}
					</p>
				) : null}
				<button type="submit" class="button button--wide" disabled={busy || phone.trim() === ""}>
					{busy ? "Looking up…" : "Start chat"}
				</button>
			</form>
		</section>
	);
}
