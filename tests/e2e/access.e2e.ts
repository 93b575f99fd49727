/**
 * Access end to end (docs/access-model.md): stakeholder links, observers, restricted incidents,
 * the confirmation before links on a security incident, and API tokens made in the UI. Each test
 * drives the UI as people would and checks the outcome against the real server of its engine.
 */
import type { Page } from '@playwright/test';
import { expect, openAs, openNewIncident, signIn, test, typeEntry, waitUntilLive } from './fixtures';

interface IncidentJson {
	id: string;
	restricted: boolean;
	linksEnabled: boolean;
}

/** Opens an incident through the API, as a script would, on the page's session. */
async function createIncident(page: Page, body: { title: string; kind: 'outage' | 'security'; severity: number }): Promise<IncidentJson> {
	const response = await page.request.post('/api/incidents', { data: body });
	expect(response.status()).toBe(201);
	return (await response.json()) as IncidentJson;
}

async function readIncident(page: Page, id: string): Promise<IncidentJson> {
	const response = await page.request.get(`/api/incidents/${id}`);
	expect(response.status()).toBe(200);
	return (await response.json()) as IncidentJson;
}

test('a stakeholder link shows the summary and shared entries live, never internal ones, and says so once revoked', async ({
	page,
	browser,
	baseURL,
	users
}) => {
	await openNewIncident(page, users.ada, 'Checkout errors for EU customers');
	const panel = page.getByTestId('stakeholder-panel');

	// An outage: links are on from the start.
	await expect(panel.getByRole('switch', { name: 'Stakeholder links' })).toBeChecked();
	await panel.getByLabel('Who it is for').fill('Support team');
	await panel.getByRole('button', { name: 'Create link' }).click();
	const url = await panel.getByTestId('secret-value').inputValue();
	expect(url).toMatch(/\/share#[A-Za-z0-9_-]{40,}$/);

	// Working material the link must never show, and one entry shared with stakeholders.
	await page.getByRole('textbox', { name: 'Notes' }).fill('Internal note: the attacker theory is unconfirmed');
	await typeEntry(page, '', 'Internal: payment-db replica lag 40 s');
	await typeEntry(page, '', 'Customers in the EU may see checkout errors');
	const firstShared = page.getByTestId('entry').filter({ hasText: 'Customers in the EU may see checkout errors' });
	await firstShared.getByRole('button', { name: 'Share with stakeholders' }).click();
	await expect(firstShared).toHaveAttribute('data-shared', 'true');
	const summary = page.getByLabel('Summary for stakeholders');
	await summary.fill('Some EU customers cannot pay. Next update within 30 minutes.');
	await summary.press('Enter');
	await expect(page.getByTestId('summary-state')).toBeEmpty();

	// The stakeholder: another browser, no account.
	const stakeholderContext = await browser.newContext({ baseURL, timezoneId: 'America/New_York' });
	const stakeholder = await stakeholderContext.newPage();
	await stakeholder.goto(url);
	const share = stakeholder.getByTestId('share-page');
	await expect(share).toHaveAttribute('data-state', 'live');
	// The token left the address bar (and so the history) at once.
	expect(new URL(stakeholder.url()).hash).toBe('');
	await expect(stakeholder.getByTestId('share-title')).toHaveText('Checkout errors for EU customers');
	await expect(stakeholder.getByTestId('share-status')).toHaveText('investigating');
	await expect(stakeholder.getByTestId('share-summary')).toHaveText('Some EU customers cannot pay. Next update within 30 minutes.');
	await expect(stakeholder.getByTestId('share-entry')).toHaveText([/Customers in the EU may see checkout errors/]);

	// Live: a new internal entry, then a shared one and a status change, reach the page without a reload.
	await typeEntry(page, '', 'Internal: failing over to replica 2');
	await typeEntry(page, '', 'Payments are recovering');
	await page
		.getByTestId('entry')
		.filter({ hasText: 'Payments are recovering' })
		.getByRole('button', { name: 'Share with stakeholders' })
		.click();
	await page.getByRole('combobox', { name: 'Status' }).selectOption('monitoring');
	await expect(stakeholder.getByTestId('share-status')).toHaveText('monitoring');
	await expect(stakeholder.getByTestId('share-entry')).toHaveText([/Payments are recovering/, /Customers in the EU may see checkout errors/]);
	await expect(share).not.toContainText('Internal');
	expect(await stakeholder.content()).not.toContain('Internal');

	// Revoked: the open page says so and shows nothing of the incident any more.
	// Revoking cannot be undone, so it asks first.
	page.once('dialog', (dialog) => {
		expect(dialog.message()).toContain('Revoke the link for Support team?');
		void dialog.accept();
	});
	await panel.getByRole('button', { name: 'Revoke the link for Support team' }).click();
	await expect(panel.getByTestId('link').filter({ hasText: 'Support team' })).toHaveAttribute('data-state', 'revoked');
	await expect(stakeholder.getByTestId('share-ended')).toContainText('This link was revoked.');
	await expect(stakeholder.getByTestId('share-title')).toHaveCount(0);
	await expect(share).not.toContainText('Payments are recovering');
	await stakeholderContext.close();
});

test('an observer sees the room as read-only and cannot type into it', async ({ page, browser, baseURL, users }) => {
	const path = await openNewIncident(page, users.ada, 'Observer follows the rollback');
	await typeEntry(page, '', 'Rolled back deploy 4411');

	const observer = await openAs(browser, baseURL!, users.otto, path, 'Europe/Berlin');
	await waitUntilLive(observer);
	const status = observer.getByTestId('connection-status');
	await expect(status).toContainText('Live (read-only)');
	await expect(status).toContainText('Read-only: you are an observer.');
	await expect(observer.getByTestId('entry-text')).toHaveText(['Rolled back deploy 4411']);

	// Nothing to write with: no add box, every field disabled or read-only, no edit buttons.
	await expect(observer.getByLabel('What happened')).toHaveCount(0);
	await expect(observer.getByRole('textbox', { name: 'Incident title' })).toBeDisabled();
	for (const name of ['Severity', 'Status']) await expect(observer.getByRole('combobox', { name })).toBeDisabled();
	// The kind is shown, and an observer is not offered escalation.
	await expect(observer.getByTestId('room-kind')).toContainText('outage');
	await expect(observer.getByTestId('escalate-open')).toHaveCount(0);
	await expect(observer.getByLabel('Summary for stakeholders')).toBeDisabled();
	await expect(observer.getByRole('switch', { name: 'Stakeholder links' })).toBeDisabled();
	await expect(observer.getByRole('switch', { name: 'Members only' })).toBeDisabled();
	await expect(observer.getByRole('button', { name: 'Edit' })).toHaveCount(0);
	await expect(observer.getByRole('button', { name: 'Share with stakeholders' })).toHaveCount(0);
	await expect(observer.getByRole('button', { name: 'Add member' })).toHaveCount(0);

	// Typing into the notes does nothing.
	const notes = observer.getByRole('textbox', { name: 'Notes' });
	await expect(notes).not.toBeEditable();
	await notes.focus();
	await observer.keyboard.type('observer was here');
	await expect(notes).toHaveValue('');

	// The room still follows what responders do.
	await typeEntry(page, '', 'Error rate back to normal');
	await expect(observer.getByTestId('entry-text')).toHaveText(['Rolled back deploy 4411', 'Error rate back to normal']);
	await expect(page.getByRole('textbox', { name: 'Notes' })).toHaveValue('');
	await observer.context().close();
});

test('a restricted security incident does not exist for a non-member until they are added, and closes for them when removed', async ({
	page,
	browser,
	baseURL,
	users
}) => {
	await signIn(page, users.ada, /\/$/);
	const open = await createIncident(page, { title: 'Open: slow search results', kind: 'outage', severity: 3 });
	const secret = await createIncident(page, { title: 'Credential stuffing on the admin login', kind: 'security', severity: 1 });
	expect(open.restricted).toBe(false);
	expect(secret.restricted).toBe(true);

	// Grace is signed in but not a member: the list has the open incident and not the restricted one.
	const grace = await (await browser.newContext({ baseURL, timezoneId: 'Europe/London' })).newPage();
	await signIn(grace, users.grace, /\/$/);
	await expect(grace.getByRole('link', { name: 'Open: slow search results' })).toBeVisible();
	await expect(grace.getByRole('link', { name: 'Credential stuffing on the admin login' })).toHaveCount(0);
	// Its URL answers exactly like an incident that does not exist.
	expect((await grace.request.get(`/api/incidents/${secret.id}`)).status()).toBe(404);
	await grace.goto(`/incidents/${secret.id}`);
	await expect(grace.getByRole('heading', { name: 'Incident not found' })).toBeVisible();
	await expect(grace.getByTestId('connection-status')).toHaveAttribute('data-state', 'not-found');
	await expect(grace.getByTestId('connection-status')).toContainText('This incident does not exist or you may not see it.');

	// Ada adds her in the Members panel.
	await page.goto(`/incidents/${secret.id}`);
	await waitUntilLive(page);
	const members = page.getByTestId('members-panel');
	await expect(members.getByRole('switch', { name: 'Members only' })).toBeChecked();
	await members.getByLabel('Add a person').selectOption({ label: `${users.grace.name} (responder)` });
	await members.getByRole('button', { name: 'Add member' }).click();
	await expect(members.getByTestId('members')).toContainText(users.grace.name);

	// Now it is in her list, marked members only, and its room opens.
	await grace.goto('/');
	const row = grace.getByRole('row').filter({ hasText: 'Credential stuffing on the admin login' });
	await expect(row.getByTestId('restricted-badge')).toBeVisible();
	await row.getByRole('link', { name: 'Credential stuffing on the admin login' }).click();
	await waitUntilLive(grace);
	await expect(grace.getByRole('textbox', { name: 'Incident title' })).toHaveValue('Credential stuffing on the admin login');

	// Removed while in the room: it closes for her at once, saying why.
	await members.getByRole('button', { name: `Remove ${users.grace.name}` }).click();
	await expect(grace.getByRole('heading', { name: 'You were removed from this incident' })).toBeVisible();
	await expect(grace.getByTestId('connection-status')).toHaveAttribute('data-state', 'removed');
	await expect(grace.getByRole('textbox', { name: 'Incident title' })).toHaveCount(0);
	await grace.context().close();
});

test('turning stakeholder links on for a security incident asks for an explicit confirmation first', async ({ page, users }) => {
	await signIn(page, users.ada, /\/$/);
	const incident = await createIncident(page, { title: 'Suspicious SSH keys on bastion', kind: 'security', severity: 2 });
	expect(incident.linksEnabled).toBe(false);
	await page.goto(`/incidents/${incident.id}`);
	await waitUntilLive(page);
	const panel = page.getByTestId('stakeholder-panel');
	const sharing = panel.getByRole('switch', { name: 'Stakeholder links' });
	const confirm = panel.getByRole('group', { name: /This is a security incident/ });
	const turnOn = confirm.getByRole('button', { name: 'Turn links on' });

	// The switch asks first and changes nothing yet.
	await sharing.click();
	await expect(confirm).toBeVisible();
	await expect(confirm.getByLabel('I understand this may tip off whoever is inside')).toBeFocused();
	await expect(sharing).not.toBeChecked();
	await expect(turnOn).toBeDisabled();
	await expect(panel.getByRole('button', { name: 'Create link' })).toHaveCount(0);
	expect((await readIncident(page, incident.id)).linksEnabled).toBe(false);

	// Cancel leaves links off.
	await confirm.getByRole('button', { name: 'Cancel' }).click();
	await expect(confirm).toHaveCount(0);
	await expect(sharing).not.toBeChecked();
	expect((await readIncident(page, incident.id)).linksEnabled).toBe(false);

	// Confirmed: links are on, and a link can be made.
	await sharing.click();
	await confirm.getByLabel('I understand this may tip off whoever is inside').check();
	await turnOn.click();
	await expect(sharing).toBeChecked();
	await expect(confirm).toHaveCount(0);
	await expect(panel.getByRole('button', { name: 'Create link' })).toBeVisible();
	expect((await readIncident(page, incident.id)).linksEnabled).toBe(true);
});

test('an API token made on the Account page works as a Bearer token until it is revoked, and is shown only once', async ({
	page,
	request,
	users
}) => {
	await signIn(page, users.ada, /\/$/);
	await page.getByRole('link', { name: 'Account' }).click();
	await page.waitForURL(/\/account$/);
	const tokens = page.getByTestId('api-tokens');
	await tokens.getByLabel('What it is for').fill('e2e deploy script');
	await tokens.getByRole('button', { name: 'Create token' }).click();
	const token = await tokens.getByTestId('secret-value').inputValue();
	expect(token).toMatch(/^vgt_/);

	// `request` carries no cookie: the token alone signs the script in, as Ada.
	const bearer = { authorization: `Bearer ${token}` };
	const me = await request.get('/api/me', { headers: bearer });
	expect(me.status()).toBe(200);
	expect(((await me.json()) as { user: { email: string } }).user.email).toBe(users.ada.email);

	// Shown once: after a reload the token is listed, its value is not.
	await page.reload();
	const row = tokens.getByTestId('token').filter({ hasText: 'e2e deploy script' });
	await expect(row).toHaveAttribute('data-state', 'active');
	await expect(row).toContainText('last used');
	await expect(tokens.getByTestId('secret-value')).toHaveCount(0);
	expect(await page.content()).not.toContain(token);

	await row.getByRole('button', { name: 'Revoke the token e2e deploy script' }).click();
	await expect(row).toHaveAttribute('data-state', 'revoked');
	expect((await request.get('/api/me', { headers: bearer })).status()).toBe(401);
});
