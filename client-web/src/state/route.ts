// Hash routes, so a reload or the back button lands on the same screen and the Worker needs no routes:
//   #/            conversation list          #/new               start a chat
//   #/chat/<E.164> a conversation           #/contact/<E.164>   contact details and safety number
//   #/settings     settings (notifications)
import { useEffect, useState } from "preact/hooks";

export type Route =
	| { readonly name: "list" }
	| { readonly name: "new" }
	| { readonly name: "settings" }
	| { readonly name: "chat"; readonly peer: string }
	| { readonly name: "contact"; readonly peer: string };

const PHONE_IN_ROUTE = /^\+[1-9][0-9]{6,14}$/;

export function parseRoute(hash: string): Route {
	const [, first, second] = hash.replace(/^#/, "").split("/");
	if (first === "new") return { name: "new" };
	if (first === "settings") return { name: "settings" };
	if ((first === "chat" || first === "contact") && second) {
		let peer: string;
		try {
			peer = decodeURIComponent(second);
		} catch {
			return { name: "list" };
		}
		if (PHONE_IN_ROUTE.test(peer)) return { name: first, peer };
	}
	return { name: "list" };
}

export function hrefFor(route: Route): string {
	switch (route.name) {
		case "list":
			return "#/";
		case "new":
			return "#/new";
		case "settings":
			return "#/settings";
		case "chat":
		case "contact":
			return `#/${route.name}/${encodeURIComponent(route.peer)}`;
	}
}

export function navigate(route: Route, options: { replace?: boolean } = {}): void {
	const href = hrefFor(route);
	if (options.replace) history.replaceState(null, "", href);
	else history.pushState(null, "", href);
	window.dispatchEvent(new HashChangeEvent("hashchange"));
}

export function useRoute(): Route {
	const [route, setRoute] = useState(() => parseRoute(location.hash));
	useEffect(() => {
		const update = () => setRoute(parseRoute(location.hash));
		window.addEventListener("hashchange", update);
		return () => window.removeEventListener("hashchange", update);
	}, []);
	return route;
}
