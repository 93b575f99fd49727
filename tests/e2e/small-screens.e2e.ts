/**
 * Pages a responder reaches first, often on a phone: at 390 px wide nothing in the room, the
 * incident list or the review may be wider than the screen (sideways scrolling hides the add
 * box, the checklist and the entry actions), and a mistyped address is not a dead end.
 */
import type { Page } from '@playwright/test';
import { expect, signIn, test, typeEntry, waitUntilLive } from './fixtures';

test.use({ viewport: { width: 390, height: 844 } });

/** How many pixels the page is wider than the screen (0 or less: it fits). */
async function overflow(page: Page): Promise<number> {
	return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

test('the room, the incident list and the review fit a phone screen', async ({ page, users }) => {
	await signIn(page, users.ada, /\/$/);
	const response = await page.request.post('/api/incidents', {
		data: { title: 'Customer secrets read with a stolen SSO session cookie from an engineer laptop', kind: 'security', severity: 1 }
	});
	const { id } = (await response.json()) as { id: string };
	await page.goto(`/incidents/${id}`);
	await waitUntilLive(page);
	await typeEntry(page, '2022-12-16 UTC', 'Malware lands on an engineer laptop');
	await typeEntry(page, '2022-12-19 UTC', 'Session cookie used from https://intruder.example.invalid/a/very/long/unbroken/path/that/does/not/wrap/anywhere/at/all');
	await typeEntry(page, '2023-01-04 18:00 UTC', 'Alert on suspicious GitHub OAuth activity');
	await expect(page.getByTestId('entry')).toHaveCount(3);
	expect(await overflow(page), 'the room is no wider than the screen').toBeLessThanOrEqual(0);

	await page.goto('/');
	await expect(page.getByRole('link', { name: /Customer secrets read/ })).toBeVisible();
	expect(await overflow(page), 'the incident list is no wider than the screen').toBeLessThanOrEqual(0);

	await page.goto(`/incidents/${id}/review`);
	await expect(page.getByTestId('review-integrity')).toBeVisible();
	expect(await overflow(page), 'the review is no wider than the screen').toBeLessThanOrEqual(0);
});

test('a mistyped address says there is no such page and offers the way back', async ({ page, users }) => {
	await signIn(page, users.ada, /\/$/);
	await page.goto('/users');
	await expect(page.getByRole('heading', { name: 'There is no such page' })).toBeVisible();
	await expect(page.getByText('/users')).toBeVisible();
	await page.getByRole('link', { name: 'Incidents' }).click();
	await expect(page).toHaveURL(/\/$/);
});
