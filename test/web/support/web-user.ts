// One person using the web app in their own browser context (own IndexedDB): the steps of the tests
// written the way a person does them, through labels and accessible names only.

import type { Browser, BrowserContext, ConsoleMessage, Locator, Page, WebSocketRoute } from "playwright-core";
import { expect } from "vitest";
import { VIEWPORTS, type ViewportName } from "./screenshots.ts";

const STEP_TIMEOUT_MS = 20_000;

export class WebUser {
	/** Console errors and CSP violations seen on the page; a test asserts this stays empty. */
	readonly pageErrors: string[] = [];
	/** While true, the relay's WebSocket is cut and new connections are refused (a network outage). */
	private networkDown = false;
	private readonly sockets = new Set<{ page: WebSocketRoute; server: WebSocketRoute }>();

	private constructor(
		readonly context: BrowserContext,
		private currentPage: Page,
		readonly baseUrl: string,
	) {}

	get page(): Page {
		return this.currentPage;
	}

	private set page(page: Page) {
		this.currentPage = page;
	}

	static async open(browser: Browser, baseUrl: string, viewport: ViewportName = "desktop"): Promise<WebUser> {
		const context = await browser.newContext({ viewport: VIEWPORTS[viewport] });
		context.setDefaultTimeout(STEP_TIMEOUT_MS);
		// Collects CSP violations from the first byte on (init scripts run before the page's own).
		await context.addInitScript(() => {
			const seen: string[] = [];
			Reflect.set(window, "__cspViolations", seen);
			document.addEventListener("securitypolicyviolation", (event) => {
				seen.push(`${event.violatedDirective} ${event.blockedURI}`);
			});
		});
		const page = await context.newPage();
		const user = new WebUser(context, page, baseUrl);
		// Every relay WebSocket passes through here so a test can cut the network under a live page
		// (context.setOffline does not close open WebSockets).
		await context.routeWebSocket(/\/v1\/connect\//, (route) => {
			if (user.networkDown) {
				void route.close({ code: 1001, reason: "network down" });
				return;
			}
			const pair = { page: route, server: route.connectToServer() };
			user.sockets.add(pair);
			route.onClose(() => user.sockets.delete(pair));
		});
		user.watch(page);
		await page.goto(`${baseUrl}/`);
		return user;
	}

	private watch(page: Page): void {
		page.on("console", (message: ConsoleMessage) => {
			// Failed HTTP answers the test provokes on purpose (a wrong code, an unknown number) are logged
			// by Chromium as console errors; they are shown to the user as sentences instead.
			if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
				this.pageErrors.push(message.text());
			}
		});
		page.on("pageerror", (error) => this.pageErrors.push(error.message));
	}

	/** CSP violations reported on the current page since it loaded. */
	async cspViolations(): Promise<string[]> {
		return this.page.evaluate(() => {
			const seen: unknown = Reflect.get(window, "__cspViolations");
			return Array.isArray(seen) ? seen.map(String) : ["(violation collector missing)"];
		});
	}

	async register(phone: string): Promise<void> {
		const page = this.page;
		await page.getByLabel("Phone number").fill(phone);
		await page.getByRole("button", { name: "Send code" }).click();
		const code = (await page.getByTestId("echo-code").textContent())?.trim() ?? "";
		expect(code).toMatch(/^[0-9]{6}$/);
		await page.getByLabel("Verification code").fill(code);
		await page.getByRole("button", { name: "Verify" }).click();
		await this.expectOnline();
	}

	async expectOnline(): Promise<void> {
		await this.page.locator('[data-state="online"]').waitFor();
	}

	async startChat(phone: string): Promise<void> {
		await this.page.getByRole("link", { name: "New chat" }).click();
		await this.page.getByLabel("Phone number").fill(phone);
		await this.page.getByRole("button", { name: "Start chat" }).click();
		await this.page.getByLabel("Message", { exact: true }).waitFor();
	}

	/** Opens a conversation from the list, as a person would (going back to the list first on a phone). */
	async openChat(phone: string): Promise<void> {
		await this.page.goto(`${this.baseUrl}/#/`);
		await this.page.locator(`.conversation-item[data-phone="${phone}"]`).click();
		await this.page.getByLabel("Message", { exact: true }).waitFor();
	}

	async send(text: string): Promise<Locator> {
		await this.page.getByLabel("Message", { exact: true }).fill(text);
		await this.page.getByRole("button", { name: "Send", exact: true }).click();
		return this.outgoing(text);
	}

	outgoing(text: string): Locator {
		return this.page.locator(".message--out", { hasText: text });
	}

	incoming(text: string): Locator {
		return this.page.locator(".message--in", { hasText: text });
	}

	async expectStatus(text: string, statuses: string[]): Promise<void> {
		const message = this.outgoing(text);
		await message.waitFor();
		await expect
			.poll(async () => message.getAttribute("data-status"), { timeout: STEP_TIMEOUT_MS })
			.toBeOneOf(statuses);
	}

	async safetyDigits(peer: string): Promise<string> {
		await this.page.goto(`${this.baseUrl}/#/contact/${encodeURIComponent(peer)}`);
		const digits = this.page.getByLabel("Safety number", { exact: true });
		await digits.waitFor();
		return (await digits.getAttribute("data-digits")) ?? "";
	}

	/**
	 * Closes the tab (the person quits FriendLy). The relay learns of it from the WebSocket's close frame;
	 * there is no presence API to wait on, so give it a moment before the test relies on "offline".
	 */
	async closeTab(): Promise<void> {
		await this.page.close();
		await new Promise((resolve) => setTimeout(resolve, 300));
	}

	/** Opens FriendLy again in a new tab of the same browser profile (same storage). */
	async reopenTab(hash = "#/"): Promise<void> {
		this.page = await this.context.newPage();
		this.watch(this.page);
		await this.page.goto(`${this.baseUrl}/${hash}`);
	}

	/** Simulates losing the network: open connections drop, reconnects and HTTP fail until goOnline. */
	async goOffline(): Promise<void> {
		this.networkDown = true;
		await this.context.setOffline(true);
		for (const pair of [...this.sockets]) {
			await pair.server.close({ code: 1001, reason: "network down" }).catch(() => undefined);
			await pair.page.close({ code: 1001, reason: "network down" }).catch(() => undefined);
		}
		this.sockets.clear();
	}

	/**
	 * Closes the page's relay WebSockets with `code`, as the relay does when it ends a connection for good
	 * (another client took over, a newer protocol); the relay's side of each is closed too.
	 */
	async closeFromRelay(code: number, reason: string): Promise<void> {
		for (const pair of [...this.sockets]) {
			await pair.page.close({ code, reason }).catch(() => undefined);
			await pair.server.close({ code: 1000, reason: "test" }).catch(() => undefined);
		}
		this.sockets.clear();
	}

	async goOnline(): Promise<void> {
		this.networkDown = false;
		await this.context.setOffline(false);
	}

	async reload(): Promise<void> {
		await this.page.reload();
	}

	async close(): Promise<void> {
		await this.context.close();
	}
}
