/**
 * What the room tells people about the record itself: whether the stored log verifies, a
 * signed export to take away, and the two clocks behind every entry and comment.
 */
import { unzipSync } from 'fflate';
import fs from 'node:fs';
import { expect, openAs, openNewIncident, test, waitUntilLive } from './fixtures';

test('a fresh room shows its log as verified, and checks again on request', async ({ page, users }) => {
	await openNewIncident(page, users.ada, 'Integrity badge');
	const badge = page.getByTestId('integrity');
	await expect(badge).toHaveAttribute('data-state', 'ok');
	await expect(badge).toContainText('Log verified through seq 1');

	await page.getByLabel('What happened').fill('Paged the DB on-call');
	await page.getByLabel('What happened').press('Enter');
	await expect(page.locator('[data-testid="entry-added-by"][data-pending]')).toHaveCount(0);
	await page.getByRole('button', { name: 'Re-check' }).click();
	await expect(badge).toHaveAttribute('data-state', 'ok');
	await expect(badge).toContainText('Log verified through seq 2');
});

test('the signed export downloads as a zip with the offline verifier inside', async ({ page, users }) => {
	const path = await openNewIncident(page, users.ada, 'Export');
	const incidentId = path.split('/').pop()!;
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.getByRole('link', { name: 'Download signed export' }).click()
	]);
	expect(download.suggestedFilename()).toBe(`vigiles-${incidentId}.zip`);
	const bytes = fs.readFileSync(await download.path());
	expect([...bytes.subarray(0, 4)], 'a zip file').toEqual([0x50, 0x4b, 0x03, 0x04]);
	const names = Object.keys(unzipSync(new Uint8Array(bytes)));
	expect(names).toEqual(expect.arrayContaining([`vigiles-${incidentId}/verify.mjs`, `vigiles-${incidentId}/manifest.json`]));
});

test("an entry and a comment written on a slow clock show the writer's time and the server's", async ({
	page: pageA,
	browser,
	baseURL,
	users
}) => {
	const path = await openNewIncident(pageA, users.ada, 'Two clocks');
	// Grace's laptop clock is 20 minutes behind.
	const pageB = await openAs(browser, baseURL!, users.grace, path, 'America/Los_Angeles', { clockSkewMs: -20 * 60_000 });
	await waitUntilLive(pageB);

	await pageB.getByLabel('What happened').fill('Failed over to the replica');
	await pageB.getByLabel('What happened').press('Enter');
	await pageA.getByLabel('What happened').fill('Confirmed writes succeed');
	await pageA.getByLabel('What happened').press('Enter');
	const graceRow = pageA.getByTestId('entry').filter({ hasText: 'Failed over to the replica' });
	const adaRow = pageA.getByTestId('entry').filter({ hasText: 'Confirmed writes succeed' });
	await expect(adaRow.getByTestId('entry-added-by')).toHaveText(users.ada.name);
	await expect(adaRow.getByTestId('two-clocks'), 'clocks that agree show one time').toHaveCount(0);

	const clocks = graceRow.getByTestId('two-clocks').first();
	await expect(clocks).toBeVisible();
	const shown = (await clocks.innerText()).replace(/\s+/g, ' ');
	// A date appears only if the two fall on different days (near midnight).
	const match = /written (?:\S+ )?(\d\d):(\d\d) UTC \([^)]+\), received (?:\S+ )?(\d\d):(\d\d) UTC \([^)]+\)/.exec(shown);
	expect(match, `"${shown}" names both clocks in UTC and Ada's zone`).not.toBeNull();
	const minutes = (h: string, m: string) => Number(h) * 60 + Number(m);
	const skew = (minutes(match![3], match![4]) - minutes(match![1], match![2]) + 24 * 60) % (24 * 60);
	expect(skew, 'received about 20 minutes after written').toBeGreaterThanOrEqual(19);
	expect(skew).toBeLessThanOrEqual(21);

	const incidentId = path.split('/').pop()!;
	const provenance = (await (await pageA.request.get(`/api/incidents/${incidentId}/provenance`)).json()) as {
		entries: Record<string, { addedAt: string }>;
	};
	const graceId = (await graceRow.getAttribute('data-entry-id'))!;
	expect(`${match![3]}:${match![4]}`, "received is the server's time from the log").toBe(
		provenance.entries[graceId].addedAt.slice(11, 16)
	);

	// Grace comments on her entry from the same slow clock.
	const graceRowB = pageB.getByTestId('entry').filter({ hasText: 'Failed over to the replica' });
	await graceRowB.getByRole('button', { name: 'Comment' }).click();
	await pageB.keyboard.type('Replica promoted by hand');
	await pageB.keyboard.press('Enter');
	await pageB.keyboard.press('Escape');
	await expect(graceRowB.getByRole('button', { name: 'Comment' }), 'Esc returns to the entry').toBeFocused();
	const comment = graceRow.getByTestId('annotation');
	await expect(comment).toContainText('Replica promoted by hand');
	await expect(comment.getByTestId('two-clocks')).toContainText(/written \d\d:\d\d UTC .*received \d\d:\d\d UTC/);

	await pageB.context().close();
});
