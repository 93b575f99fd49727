/**
 * The e2e test fixtures: each Playwright project names an engine, and `baseURL` points at the
 * server global-setup.ts started for it. Helpers here drive the UI the way a person would.
 */
import { test as base, expect, type Browser, type Page } from '@playwright/test';
import { readServers, type E2eServer, type E2eUser, type Engine } from './servers';

export const test = base.extend<{ users: ReturnType<typeof readServers>['users'] }, { engine: Engine; server: E2eServer }>({
	engine: ['pglite', { option: true, scope: 'worker' }],
	server: [
		async ({ engine }, use) => {
			const server = readServers().servers[engine];
			if (!server) throw new Error(`no ${engine} server was started (is TEST_DATABASE_URL set?)`);
			await use(server);
		},
		{ scope: 'worker' }
	],
	baseURL: async ({ server }, use) => {
		await use(server.url);
	},
	users: async ({}, use) => {
		await use(readServers().users);
	}
});

export { expect };

/** Signs in on the login page the app sent us to (or opens it), and waits to land on `expectPath`. */
export async function signIn(page: Page, user: E2eUser, expectPath: RegExp): Promise<void> {
	if (!new URL(page.url(), 'http://x').pathname.startsWith('/login')) await page.goto('/login');
	await page.getByLabel('Email').fill(user.email);
	await page.getByLabel('Password').fill(user.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL(expectPath);
}

/**
 * A second person: their own browser context (own cookies, own time zone), opening `path` and
 * signing in on the way. `clockSkewMs` sets their computer's clock that far from the real time
 * (negative: behind); it keeps running.
 */
export async function openAs(
	browser: Browser,
	baseURL: string,
	user: E2eUser,
	path: string,
	timezoneId: string,
	options: { clockSkewMs?: number } = {}
): Promise<Page> {
	const context = await browser.newContext({ baseURL, timezoneId });
	if (options.clockSkewMs) await context.clock.install({ time: Date.now() + options.clockSkewMs });
	const page = await context.newPage();
	await page.goto(path);
	await page.waitForURL(/\/login\?next=/);
	await signIn(page, user, new RegExp(`${escapeRegExp(path)}$`));
	return page;
}

/**
 * Signs `user` in on `page`, opens a new incident through the API (as a script would) and
 * waits in its room until it is live. Returns the room's path.
 */
export async function openNewIncident(page: Page, user: E2eUser, title: string): Promise<string> {
	await signIn(page, user, /\/$/);
	const response = await page.request.post('/api/incidents', { data: { title, kind: 'outage', severity: 2 } });
	expect(response.status()).toBe(201);
	const { id } = (await response.json()) as { id: string };
	const path = `/incidents/${id}`;
	await page.goto(path);
	await waitUntilLive(page);
	return path;
}

export async function waitUntilLive(page: Page): Promise<void> {
	await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'live');
}

/** Types one timeline row as a responder would: the time, the text, Enter. */
export async function typeEntry(page: Page, when: string, text: string): Promise<void> {
	const time = page.getByLabel('When');
	const what = page.getByLabel('What happened');
	await time.fill(when);
	await what.fill(text);
	await what.press('Enter');
	// Added to the document: the form clears and keeps the focus for the next row.
	await expect(what).toHaveValue('');
	await expect(time).toHaveValue('');
	await expect(what).toBeFocused();
}

export interface TimelineRow {
	id: string;
	occurredAt: string;
	text: string;
	addedBy: string;
}

export async function readTimeline(page: Page): Promise<TimelineRow[]> {
	return page.getByTestId('entry').evaluateAll((rows) =>
		rows.map((row) => ({
			id: row.getAttribute('data-entry-id') ?? '',
			occurredAt: row.getAttribute('data-occurred-at') ?? '',
			text: row.querySelector('[data-testid="entry-text"]')?.textContent?.trim() ?? '',
			addedBy: row.querySelector('[data-testid="entry-added-by"]')?.textContent?.trim() ?? ''
		}))
	);
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
