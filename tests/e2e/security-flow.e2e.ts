/**
 * Issue 5 in the browser: the CircleCI 2023 breach worked from detection to close (lanes, a
 * handoff of command, a reimage without a capture gone ahead with a reason, evidence with a
 * custody transfer and a seal, the containment checklist, closing refused then accepted, the
 * read-only archive and its review), and an outage closed with its own gates, found by search.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, openAs, signIn, test, waitUntilLive } from './fixtures';

const fixture = (name: string) => JSON.parse(readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures', name), 'utf8'));
const circleci = fixture('circleci-2023.json') as { incident: string; entries: { key: string; when: string; text: string }[] };
const github = fixture('github-2018-10-21.json') as { incident: string; entries: { occurredAt: string; text: string }[] };

const SHA = '3f2a'.repeat(16);

function fact(key: string): { when: string; text: string } {
	const row = circleci.entries.find((e) => e.key === key);
	if (!row) throw new Error(`no row ${key} in the fixture`);
	return { when: row.when, text: row.text };
}

function row(page: Page, text: string) {
	return page.getByTestId('entry').filter({ hasText: text });
}

async function addRow(page: Page, when: string, text: string): Promise<void> {
	await page.getByLabel('When').fill(when);
	await page.getByLabel('What happened').fill(text);
	await page.getByLabel('What happened').press('Enter');
	await expect(page.getByLabel('What happened')).toHaveValue('');
	await expect(row(page, text)).toHaveCount(1);
}

test('a breach worked from detection to close: handoff, override, custody, checklist, refused then accepted close, archive and review', async ({
	page,
	users
}) => {
	await signIn(page, users.ada, /\/$/);

	// Detection: a security incident opened from the list page.
	await page.getByLabel('Title').fill(circleci.incident);
	await page.getByLabel('Kind').selectOption('security');
	await page.getByLabel('Severity').selectOption('1');
	await page.getByRole('button', { name: 'Open incident room' }).click();
	await page.waitForURL(/\/incidents\/[^/]+$/);
	await waitUntilLive(page);
	const roomPath = new URL(page.url()).pathname;
	const incidentId = roomPath.split('/').pop()!;

	// Restricted: Grace must be a member before she can take command.
	await page.getByLabel('Add a person').selectOption({ label: `${users.grace.name} (responder)` });
	await page.getByRole('button', { name: 'Add member' }).click();
	await expect(page.getByTestId('members')).toContainText(users.grace.name);

	// The timeline, in UTC as the report gives it: the intruder's lane (a day range), then ours.
	await page.getByRole('radio', { name: 'UTC', exact: true }).check();
	await page.getByRole('radio', { name: 'Intrusion' }).check();
	const i2 = fact('I2');
	const i5 = fact('I5');
	await addRow(page, i2.when, i2.text);
	await addRow(page, i5.when, i5.text);
	await page.getByRole('radio', { name: 'Response' }).check();
	const r1 = fact('R1');
	const r2 = fact('R2');
	const r4 = fact('R4');
	await addRow(page, r1.when, r1.text);
	await addRow(page, r2.when, r2.text);
	await addRow(page, r4.when, r4.text);
	await expect(row(page, i2.text)).toHaveAttribute('data-lane', 'intrusion');
	await expect(row(page, i2.text).getByTestId('entry-span')).toHaveText('16–19 Dec 2022, UTC');
	await row(page, r1.text).getByLabel('Milestone').selectOption('detected');
	await row(page, r4.text).getByLabel('Milestone').selectOption('contained');
	await expect(row(page, r4.text).getByTestId('milestone-badge')).toHaveText('◆ Contained');

	// Command: Ada takes it, then hands it to Grace; the header says who is in charge.
	const roles = page.getByTestId('roles-panel');
	await roles.getByLabel('Assign Incident commander to').selectOption({ label: users.ada.name });
	await roles.locator('[data-role="commander"]').getByRole('button', { name: 'Assign' }).click();
	await expect(page.getByTestId('role-holder-commander')).toHaveText(users.ada.name);
	await roles.getByLabel('Hand off Incident commander to').selectOption({ label: users.grace.name });
	await roles.locator('[data-role="commander"]').getByRole('button', { name: 'Hand off' }).click();
	await expect(page.getByTestId('role-holder-commander')).toHaveText(users.grace.name);

	// A reimage before any capture: the room warns, and going ahead needs a reason.
	const laptop = 'eng-laptop-0142';
	await page.getByRole('button', { name: 'Record a destructive step…' }).click();
	const step = page.getByTestId('destructive-dialog');
	await step.getByLabel('Step').selectOption('reimage');
	await step.getByLabel('System', { exact: true }).fill(laptop);
	await step.getByRole('button', { name: 'Record the reimage' }).click();
	await expect(step.getByTestId('capture-warning')).toContainText(`No capture of ${laptop}`);
	await step.getByRole('button', { name: 'Go ahead anyway…' }).click();
	const overrideButton = step.getByRole('button', { name: 'Record the reimage without a capture' });
	await expect(overrideButton).toBeDisabled();
	await step.getByLabel('Why go ahead without a capture?').fill('Laptop already seized by IT and imaged off-site; reimage to return it');
	await overrideButton.click();
	await expect(step).toBeHidden();
	await expect(page.getByTestId('destructive-done')).toContainText('without a capture');
	await expect(page.getByTestId('action-override')).toContainText('Laptop already seized');

	// Evidence: registered, handed to Grace, sealed with the hash computed again.
	const evidence = page.getByTestId('evidence-panel');
	await evidence.getByRole('button', { name: 'Register evidence…' }).click();
	await evidence.getByLabel('What', { exact: true }).fill('Disk image of the build host that held the decryption keys');
	await evidence.getByLabel('From system').fill('build-host-7');
	await expect(evidence.getByLabel('Collected by')).toHaveValue(users.ada.name);
	await evidence.getByLabel('Acquired at').fill('2023-01-04 20:00 UTC');
	await evidence.getByLabel('SHA-256', { exact: true }).fill(SHA);
	await evidence.getByLabel('Stored at').fill('Evidence locker B, bag 12');
	await evidence.getByRole('button', { name: 'Register', exact: true }).click();
	const item = evidence.getByTestId('evidence-item');
	await expect(item).toHaveCount(1);
	await expect(item.getByTestId('evidence-holder')).toHaveText(users.ada.name);
	await item.getByRole('button', { name: 'Transfer custody…' }).click();
	await item.getByLabel('Hand to').fill(users.grace.name);
	await item.getByLabel('Why').fill('Forensics hand-off');
	await item.getByRole('button', { name: 'Record transfer' }).click();
	await expect(item.getByTestId('evidence-holder')).toHaveText(users.grace.name);
	await item.getByRole('button', { name: 'Seal…' }).click();
	await item.getByLabel('SHA-256 computed now').fill(SHA);
	await item.getByRole('button', { name: 'Seal', exact: true }).click();
	await expect(item.getByTestId('evidence-sealed')).toBeVisible();

	// Containment checklist: three steps done, one skipped with a reason.
	const checklist = page.getByTestId('checklist');
	for (const label of [/^Isolate affected systems/, /^Revoke possibly compromised/, /^Capture state/]) {
		await checklist.getByRole('checkbox', { name: label }).check();
	}
	await checklist.getByRole('button', { name: /^Skip “Preserve logs/ }).click();
	await checklist.getByLabel(/^Why skip “Preserve logs/).fill('The SaaS vendor keeps these logs for a year');
	await checklist.getByRole('button', { name: 'Skip', exact: true }).click();
	await expect(checklist.getByTestId('checklist-exception')).toContainText('vendor keeps these logs');

	await page.getByLabel('Summary for stakeholders').fill('A stolen SSO session let an intruder copy customer secrets; all customer secrets must be rotated.');
	await page.getByLabel('Summary for stakeholders').press('Enter');

	// Closing: the gates are listed live; without the credentials confirmation the server refuses.
	await page.getByRole('button', { name: 'Close the incident…' }).click();
	const dialog = page.getByTestId('close-dialog');
	await expect(dialog.getByTestId('close-gates').locator('[data-gate="credentials"]')).toBeVisible();
	await expect(dialog.getByTestId('close-gates').locator('li')).toHaveCount(1);
	await dialog.getByTestId('close-confirm').click();
	await expect(dialog.getByTestId('close-refused')).toContainText('credentials were rotated');
	await dialog.getByTestId('credentials-rotated').check();
	await expect(dialog.getByTestId('close-ready')).toBeVisible();
	await dialog.getByTestId('close-confirm').click();

	// The archive: said plainly, nothing to type into, no reconnecting.
	await expect(page.getByTestId('closed-notice')).toContainText('Closed — read-only archive');
	await expect(page.getByTestId('archive-guard')).toHaveAttribute('data-closed', 'true');
	await expect(page.getByLabel('What happened')).toBeDisabled();
	// The header too: no status, severity or title change on an archive.
	await expect(page.getByLabel('Status', { exact: true })).toBeDisabled();
	await expect(page.getByLabel('Severity', { exact: true })).toBeDisabled();
	await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'closed');
	// Calmly: the closer lost nothing and has nothing to reconnect to.
	await expect(page.getByTestId('connection-status')).toHaveAttribute('data-archived', 'true');
	await expect(page.getByTestId('connection-status')).toContainText('Archived');
	await expect(page.getByTestId('connection-status').getByRole('button', { name: 'Reload' })).toHaveCount(0);
	// Reloaded, the room syncs the archive read-only.
	await page.reload();
	await waitUntilLive(page);
	await expect(page.getByTestId('connection-status')).toContainText('Archived');
	await expect(page.getByTestId('presence')).not.toContainText('Editing:');
	await expect(page.getByTestId('closed-notice')).toBeVisible();
	await expect(page.getByLabel('What happened')).toBeDisabled();

	// The review.
	await page.getByTestId('review-link').click();
	await page.waitForURL(new RegExp(`/incidents/${incidentId}/review$`));
	await expect(page.getByTestId('review-integrity')).toHaveAttribute('data-state', 'ok');
	const log = page.getByTestId('review-log');
	await expect(log.getByTestId('review-row').filter({ hasText: `recorded reimage of ${laptop} without a capture` })).toHaveCount(1);
	await expect(log.getByTestId('review-row').filter({ hasText: `from ${users.ada.name} to ${users.grace.name}:` })).toHaveCount(1);
	await expect(log.getByTestId('review-row').filter({ hasText: 'sealed "Disk image of the build host' })).toHaveCount(1);
	await expect(log.getByTestId('review-row').filter({ hasText: `handed commander from ${users.ada.name} to ${users.grace.name}` })).toHaveCount(1);

	// Replay: right after the third entry, the room held three of the five entries.
	const events = ((await (await page.request.get(`/api/incidents/${incidentId}/log?limit=1000`)).json()) as { events: { seq: number; type: string }[] }).events;
	const third = events.filter((e) => e.type === 'entry.added')[2].seq;
	await expect(page.getByTestId('replay-view')).toHaveAttribute('data-entries', '5');
	await page.getByTestId('replay-slider').fill(String(third));
	await expect(page.getByTestId('replay-view')).toHaveAttribute('data-seq', String(third));
	await expect(page.getByTestId('replay-view')).toHaveAttribute('data-entries', '3');

	// The postmortem names both lanes.
	const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-postmortem').click()]);
	const markdown = readFileSync((await download.path())!, 'utf8');
	expect(markdown).toContain('## Intrusion timeline');
	expect(markdown).toContain('## Response timeline');
	expect(markdown).toContain(laptop);
});

test('an outage closes once its own gates are met, and search finds it afterwards', async ({ page, users }) => {
	await signIn(page, users.grace, /\/$/);
	const title = `${github.incident} (${Date.now()})`;
	const response = await page.request.post('/api/incidents', { data: { title, kind: 'outage', severity: 1 } });
	expect(response.status()).toBe(201);
	const { id } = (await response.json()) as { id: string };
	await page.goto(`/incidents/${id}`);
	await waitUntilLive(page);

	await page.getByRole('radio', { name: 'UTC', exact: true }).check();
	for (const entry of github.entries.slice(0, 2)) await addRow(page, entry.occurredAt.replace('T', ' ').replace(':00Z', ' UTC'), entry.text);

	await page.getByRole('button', { name: 'Close the incident…' }).click();
	const dialog = page.getByTestId('close-dialog');
	const gates = dialog.getByTestId('close-gates');
	await expect(gates.locator('[data-gate="summary"]')).toBeVisible();
	await expect(gates.locator('[data-gate="cause"]')).toBeVisible();
	await expect(gates.locator('[data-gate="followUps"]')).toBeVisible();
	// The gate says where the summary is written, and takes you there.
	await expect(gates.locator('[data-gate="summary"]')).toContainText('Summary for stakeholders');
	await gates.locator('[data-gate="summary"]').getByRole('button', { name: 'Write it' }).click();
	await expect(dialog).not.toBeVisible();
	await expect(page.getByLabel('Summary for stakeholders')).toBeFocused();

	await page.getByLabel('Summary for stakeholders').fill('Degraded service for 24 hours 11 minutes: stale and inconsistent data on github.com.');
	await page.getByLabel('Summary for stakeholders').press('Enter');
	await page.getByLabel(/^Cause/).fill('A 43-second network partition let Orchestrator promote West Coast primaries: split-brain writes.');
	await page.getByLabel(/^Cause/).press('Enter');
	const followUps = page.getByTestId('follow-ups');
	await followUps.getByLabel('Follow-up').fill('Stop Orchestrator promoting across regions');
	await followUps.getByLabel('Owner').fill('Database infrastructure');
	await followUps.getByRole('button', { name: 'Add' }).click();
	await expect(followUps.getByTestId('follow-up')).toHaveCount(1);

	await page.getByRole('button', { name: 'Close the incident…' }).click();
	await expect(dialog.getByTestId('close-ready')).toBeVisible();
	await expect(dialog.getByTestId('credentials-rotated')).toHaveCount(0);
	await dialog.getByTestId('close-confirm').click();
	await expect(page.getByTestId('closed-notice')).toContainText('Closed — read-only archive');

	// Search from the top bar; the match is marked as text, and leads to the review.
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Search' }).click();
	await page.getByLabel('Search closed incidents').fill('Orchestrator');
	await page.getByLabel('Search closed incidents').press('Enter');
	const hit = page.getByTestId('search-result').filter({ hasText: title });
	await expect(hit).toHaveCount(1);
	await expect(hit.locator('mark').first()).toHaveText(/orchestrator/i);
	await hit.getByRole('link', { name: title }).click();
	await page.waitForURL(new RegExp(`/incidents/${id}/review$`));
	await expect(page.getByTestId('review-closed')).toBeVisible();
});

test('only an admin reopens an archived incident, with a reason the log keeps', async ({ page, users, browser, baseURL }) => {
	await signIn(page, users.grace, /\/$/);
	const response = await page.request.post('/api/incidents', { data: { title: `Reopen drill ${Date.now()}`, kind: 'outage', severity: 3 } });
	const { id } = (await response.json()) as { id: string };
	await page.goto(`/incidents/${id}`);
	await waitUntilLive(page);
	await page.getByLabel('Summary for stakeholders').fill('A drill.');
	await page.getByLabel('Summary for stakeholders').press('Enter');
	await page.getByLabel(/^Cause/).fill('unknown');
	await page.getByLabel(/^Cause/).press('Enter');
	const followUps = page.getByTestId('follow-ups');
	await followUps.getByLabel('Follow-up').fill('Find the cause');
	await followUps.getByLabel('Owner').fill('Grace');
	await followUps.getByRole('button', { name: 'Add' }).click();
	await page.getByRole('button', { name: 'Close the incident…' }).click();
	await page.getByTestId('close-dialog').getByTestId('close-confirm').click();
	const notice = page.getByTestId('closed-notice');
	await expect(notice).toContainText('Closed — read-only archive');
	// A responder has no way to reopen.
	await expect(notice.getByRole('button', { name: 'Reopen…' })).toHaveCount(0);

	const admin = await openAs(browser, baseURL as string, users.margaret, `/incidents/${id}`, 'UTC');
	const adminNotice = admin.getByTestId('closed-notice');
	await expect(adminNotice).toBeVisible();
	await adminNotice.getByRole('button', { name: 'Reopen…' }).click();
	await admin.getByLabel(/Why reopen it/).fill('The same alert fired again an hour later');
	await adminNotice.getByRole('button', { name: 'Reopen', exact: true }).click();
	await waitUntilLive(admin);
	await expect(admin.getByTestId('closed-notice')).toHaveCount(0);
	// The responder whose socket the close ended finds out (the room looks every 10 s) and rejoins.
	await expect(page.getByTestId('reopened-notice')).toBeVisible({ timeout: 15_000 });
	await page.getByTestId('reopened-notice').getByRole('button', { name: 'Rejoin' }).click();
	await waitUntilLive(page);
	await expect(page.getByTestId('closed-notice')).toHaveCount(0);
	await expect(page.getByLabel('What happened')).toBeEnabled();
	const log = (await (await admin.request.get(`/api/incidents/${id}/log?limit=1000`)).json()) as { events: { type: string; changes: { reason?: string }[] }[] };
	const reopened = log.events.find((e) => e.type === 'incident.reopened');
	expect(reopened?.changes[0].reason).toBe('The same alert fired again an hour later');
	await admin.context().close();
});
