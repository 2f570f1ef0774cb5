// @ts-check
// FriendLy's service worker: Web Push only (docs/WEB.md §Notifications). It caches nothing and handles
// no requests. A push carries no message content and no phone number (the relay only says that something
// is waiting), so the notification text is fixed; the app, once open, connects and decrypts as usual.
// Plain JavaScript served as is from client-web/public, type checked by tsconfig.sw.json.

/** @type {ServiceWorkerGlobalScope} */
const worker = /** @type {any} */ (self);

/** One tag for every push: the notifications of one burst replace each other instead of piling up. */
const TAG = "friendly-new-message";
const TEXT = "New message in FriendLy";

worker.addEventListener("install", () => {
	void worker.skipWaiting();
});

worker.addEventListener("activate", (event) => {
	event.waitUntil(worker.clients.claim());
});

worker.addEventListener("push", (event) => {
	// The payload is not read: whatever it says, nothing from it is shown.
	event.waitUntil(
		worker.registration.showNotification(TEXT, { tag: TAG, icon: "/favicon.svg", badge: "/favicon.svg" }),
	);
});

worker.addEventListener("notificationclick", (event) => {
	event.notification.close();
	event.waitUntil(openApp());
});

/** The app lives at "/" (hash routes): a click opens the chat list there when no tab is open. */
const APP_URL = "/#/";

/** Focuses a FriendLy tab if one is open (it is already connected); otherwise opens the chat list. */
async function openApp() {
	const open = await appTab();
	if (open) await open.focus();
	else await worker.clients.openWindow(APP_URL);
}

/** The open FriendLy tab a click should bring forward, or null when there is none. */
async function appTab() {
	const windows = await worker.clients.matchAll({ type: "window", includeUncontrolled: true });
	return (
		windows.find((client) => {
			const url = new URL(client.url);
			return url.origin === worker.location.origin && url.pathname === "/";
		}) ?? null
	);
}
