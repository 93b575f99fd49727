/**
 * Security incidents as their own craft: two lanes on one timeline, spans known to the day, the
 * moments the figures run between, the containment checklist, follow-ups, and the phase clock.
 */
import type { Page } from '@playwright/test';
import { expect, openAs, signIn, test, waitUntilLive } from './fixtures';
import type { E2eUser } from './servers';

/** Opens a new incident of `kind` through the API and waits in its room; returns its path. */
async function openIncident(page: Page, user: E2eUser, title: string, kind: 'security' | 'outage'): Promise<string> {
	await signIn(page, user, /\/$/);
	const response = await page.request.post('/api/incidents', { data: { title, kind, severity: 1 } });
	expect(response.status()).toBe(201);
	const { id } = (await response.json()) as { id: string };
	await page.goto(`/incidents/${id}`);
	await waitUntilLive(page);
	return `/incidents/${id}`;
}

/** Types one row in the lane the add box is set to. */
async function addRow(page: Page, when: string, text: string): Promise<void> {
	await page.getByLabel('When').fill(when);
	await page.getByLabel('What happened').fill(text);
	await page.getByLabel('What happened').press('Enter');
	await expect(page.getByLabel('What happened')).toHaveValue('');
	await expect(page.getByTestId('entry').filter({ hasText: text })).toHaveCount(1);
}

function row(page: Page, text: string) {
	return page.getByTestId('entry').filter({ hasText: text });
}

test('intrusion and response rows, one a range of days, show in their lanes as bars and points, and the marked moments give the figures', async ({
	page,
	users
}) => {
	await openIncident(page, users.ada, 'SSO session stolen from a laptop', 'security');
	// Dates are in UTC, the way the report gives them.
	await page.getByRole('radio', { name: 'UTC', exact: true }).check();

	// Alt+L switches the add box to the intrusion lane, and it stays there for the next rows.
	await page.getByLabel('What happened').focus();
	await page.keyboard.press('Alt+KeyL');
	await expect(page.getByTestId('entry-lane')).toHaveText('intrusion');
	await page.getByLabel('When').fill('2022-12-16..19');
	await expect(page.getByTestId('entry-time-span')).toHaveText('16–19 Dec 2022, UTC');
	await addRow(page, '2022-12-16..19', 'Malware lifts a live SSO session cookie');
	await expect(page.getByTestId('entry-lane')).toHaveText('intrusion');

	await page.getByRole('radio', { name: 'Response' }).check();
	await addRow(page, '2022-12-29 14:30', 'A customer reports suspicious OAuth activity');
	await addRow(page, '2023-01-04 18:00', 'All sessions of the engineer revoked');
	// Typed in the wrong lane, moved later.
	await addRow(page, '2022-12-22', 'Customer secrets copied out of the stores');
	await row(page, 'Customer secrets copied').getByRole('button', { name: 'Move to intrusion lane' }).click();

	const range = row(page, 'Malware lifts');
	await expect(range).toHaveAttribute('data-lane', 'intrusion');
	await expect(range.getByTestId('lane-badge')).toHaveText('Intrusion');
	await expect(range.getByTestId('entry-span')).toHaveText('16–19 Dec 2022, UTC');
	await expect(row(page, 'Customer secrets copied')).toHaveAttribute('data-lane', 'intrusion');
	await expect(row(page, 'Customer secrets copied').getByTestId('entry-span')).toHaveText('22 Dec 2022, UTC');
	await expect(row(page, 'A customer reports')).toHaveAttribute('data-lane', 'response');

	// The picture: days and ranges as bars in the intrusion lane, times as points in the response lane.
	const lanes = page.getByTestId('swimlane');
	await expect(lanes.getByTestId('swim-item')).toHaveCount(4);
	await expect(lanes.locator('[data-testid="swim-item"][data-lane="intrusion"][data-kind="span"]')).toHaveCount(2);
	await expect(lanes.locator('[data-testid="swim-item"][data-lane="response"][data-kind="point"]')).toHaveCount(2);
	await expect(lanes.getByRole('button', { name: /^Intrusion, 16–19 Dec 2022, UTC: Malware lifts/ })).toBeVisible();
	await expect(lanes.getByTestId('swimlane-detection')).toHaveCount(0);

	// No moments marked yet: every figure waits.
	const figures = page.getByTestId('figures');
	await expect(figures.getByTestId('figure-dwell').getByTestId('figure-value')).toHaveText('not yet');

	await row(page, 'A customer reports').getByLabel('Milestone').selectOption('detected');
	await expect(row(page, 'A customer reports').getByTestId('milestone-badge')).toHaveText('◆ Detected');
	await expect(lanes.getByTestId('swimlane-detection')).toHaveCount(1);
	// From the first intrusion day to the detection, known to the day.
	await expect(figures.getByTestId('figure-dwell').getByTestId('figure-value')).toHaveText('~14 d');
	await expect(figures.getByTestId('figure-dwell').getByTestId('figure-precision')).toHaveText('good to a day');
	await expect(figures.getByTestId('figure-dwell')).toContainText('from 16–19 Dec 2022, UTC: Malware lifts');
	await expect(figures.getByTestId('figure-contain').getByTestId('figure-value')).toHaveText('not yet');
	await expect(figures.getByTestId('figure-contain')).toContainText('mark the entry where it was contained');

	await row(page, 'All sessions of the engineer revoked').getByLabel('Milestone').selectOption('contained');
	await expect(figures.getByTestId('figure-contain').getByTestId('figure-value')).toHaveText('6 d 3 h 30 min');
	await expect(figures.getByTestId('figure-contain').getByTestId('figure-precision')).toHaveText('good to a minute');

	// Clearing a moment takes the figure back to "not yet".
	await row(page, 'All sessions of the engineer revoked').getByLabel('Milestone').selectOption('');
	await expect(figures.getByTestId('figure-contain').getByTestId('figure-value')).toHaveText('not yet');

	// Zoom in and back to everything; a click on a bar takes the person to its row.
	const window = lanes.getByTestId('swimlane-window');
	const fitted = await window.textContent();
	await lanes.getByRole('button', { name: 'Zoom in' }).click();
	await expect(window).not.toHaveText(fitted ?? '');
	await lanes.getByRole('button', { name: 'Fit all' }).click();
	await expect(window).toHaveText(fitted ?? '');
	await expect(lanes.getByRole('button', { name: 'Fit all' })).toBeDisabled();
	await lanes.getByRole('button', { name: /^Intrusion, 22 Dec 2022, UTC/ }).click();
	await expect(row(page, 'Customer secrets copied')).toBeFocused();

	// The keyboard walks the entries in time order.
	await lanes.getByRole('button', { name: /^Intrusion, 22 Dec 2022, UTC/ }).focus();
	await page.keyboard.press('ArrowRight');
	await expect(lanes.getByRole('button', { name: /^Response, 2022-12-29 14:30 UTC/ })).toBeFocused();
});

test('a containment checklist ticked and skipped with a reason shows live in a second browser, and the header tells the phase and how long it has lasted', async ({
	page: pageA,
	browser,
	baseURL,
	users
}) => {
	const roomPath = await openIncident(pageA, users.ada, 'Credential stuffing on the admin panel', 'security');
	const incidentId = roomPath.split('/').pop()!;
	// Security incidents are members-only: Ada brings Grace in.
	const people = (await (await pageA.request.get('/api/people')).json()) as { people: { id: string; name: string }[] };
	const grace = people.people.find((p) => p.name === users.grace.name)!;
	expect((await pageA.request.post(`/api/incidents/${incidentId}/members`, { data: { userId: grace.id } })).ok()).toBe(true);
	const pageB = await openAs(browser, baseURL!, users.grace, roomPath, 'America/Los_Angeles');
	await waitUntilLive(pageB);

	const checklistA = pageA.getByTestId('checklist');
	const checklistB = pageB.getByTestId('checklist');
	await expect(checklistA.getByRole('heading', { name: 'Containment first' })).toBeVisible();

	await checklistA.getByPlaceholder('Add a step').fill('Block the attacking address ranges');
	await checklistA.getByRole('button', { name: 'Add step' }).click();
	await checklistA.getByPlaceholder('Add a step').fill('Capture the admin panel access logs');
	await checklistA.getByRole('checkbox', { name: 'capture step', exact: true }).check();
	await checklistA.getByRole('button', { name: 'Add step' }).click();

	const block = (list: typeof checklistA) => list.getByTestId('checklist-item').filter({ hasText: 'Block the attacking' });
	const capture = (list: typeof checklistA) => list.getByTestId('checklist-item').filter({ hasText: 'Capture the admin panel' });
	await expect(capture(checklistB).getByText('Capture step')).toBeVisible();
	await expect(block(checklistB).getByText('Capture step')).toHaveCount(0);

	// Ada ticks a step: Grace sees it done.
	await block(checklistA).getByRole('checkbox', { name: 'Block the attacking address ranges' }).check();
	await expect(block(checklistB)).toHaveAttribute('data-done', 'true');
	await expect(block(checklistB).getByRole('checkbox')).toBeChecked();

	// Grace skips the other with a reason: Ada sees the reason.
	await capture(checklistB).getByRole('button', { name: /Skip/ }).click();
	await pageB.getByPlaceholder('Why skip this step?').fill('The panel keeps no access logs');
	await pageB.getByPlaceholder('Why skip this step?').press('Enter');
	await expect(capture(checklistA)).toHaveAttribute('data-skipped', 'true');
	await expect(capture(checklistA).getByTestId('checklist-exception')).toHaveText('Skipped: The panel keeps no access logs');
	await expect(capture(checklistA)).toContainText(`by ${users.grace.name}`);
	await expect(checklistA.getByTestId('checklist-progress')).toContainText('1 skipped');

	// The phase: in "detected" since the incident opened, ticking.
	await expect(pageA.getByTestId('phase-name')).toHaveText('detected');
	const elapsed = pageA.getByTestId('phase-elapsed');
	await expect(elapsed).toHaveText(/^\d+ (s|min)$/);
	const before = await elapsed.textContent();
	await expect(elapsed).not.toHaveText(before ?? '', { timeout: 5_000 });

	// Ada moves it on: both see the new phase, counted from the change, and who made it.
	await pageA.getByLabel('Status', { exact: true }).selectOption('analysing');
	for (const page of [pageA, pageB]) {
		await expect(page.getByTestId('phase-name')).toHaveText('analysing');
		await expect(page.getByTestId('phase-elapsed')).toHaveText(/^\d s$/);
		await page.getByText(/Phase history/).click();
		const history = page.getByTestId('phase-history').getByRole('listitem');
		await expect(history).toHaveCount(2);
		await expect(history.nth(1)).toContainText(`analysing since`);
		await expect(history.nth(1)).toContainText(`by ${users.ada.name}`);
		await expect(history.nth(0)).toContainText('detected');
	}
	// Grace's history gives both clocks: UTC and hers.
	await expect(pageB.getByTestId('phase-history')).toContainText(/UTC \(\d{2}:\d{2} (PST|PDT)\)/);
	await pageB.context().close();
});

test('an outage keeps its cause and follow-ups with owners in the room', async ({ page, users }) => {
	await openIncident(page, users.ada, 'Checkout latency', 'outage');
	// An outage's checklist sits beside the timeline, not first.
	await expect(page.getByRole('heading', { name: 'Containment first' })).toHaveCount(0);
	await expect(page.getByTestId('checklist')).toBeVisible();

	await page.getByLabel(/^Cause/).fill('A connection pool sized for last year’s traffic');
	await page.getByLabel(/^Cause/).press('Enter');
	await expect(page.getByTestId('cause-state')).toBeEmpty();

	const followUps = page.getByTestId('follow-ups');
	await followUps.getByPlaceholder('What needs doing').fill('Alert on pool saturation');
	await followUps.getByPlaceholder('Owner').fill('Platform team');
	await followUps.getByRole('button', { name: 'Add' }).click();
	const item = followUps.getByTestId('follow-up').filter({ hasText: 'Alert on pool saturation' });
	await expect(item).toContainText('owner: Platform team');
	await item.getByRole('checkbox').check();
	await expect(item).toHaveAttribute('data-done', 'true');
	await item.getByRole('button', { name: /Remove/ }).click();
	await expect(followUps.getByTestId('follow-up')).toHaveCount(0);

	// After a reload the cause is still there: it is in the document.
	await page.reload();
	await waitUntilLive(page);
	await expect(page.getByLabel(/^Cause/)).toHaveValue('A connection pool sized for last year’s traffic');
});

test('escalating an outage asks why, then the room turns into a security incident with its containment steps first, restricted and without links', async ({
	page,
	users
}) => {
	const roomPath = await openIncident(page, users.ada, 'Odd 500s on the billing API', 'outage');
	const incidentId = roomPath.split('/').pop()!;
	expect((await page.request.put(`/api/incidents/${incidentId}/sharing`, { data: { enabled: true } })).ok()).toBe(true);
	await expect(page.getByTestId('room-flags')).toContainText('Stakeholder links on');
	await expect(page.getByTestId('room-kind')).toContainText('outage');

	await page.getByTestId('escalate-open').click();
	const dialog = page.getByTestId('escalate-dialog');
	await expect(dialog.getByLabel('Why is this a security incident?')).toBeFocused();
	await expect(dialog.getByTestId('escalate-confirm')).toBeDisabled();
	await dialog.getByLabel('Why is this a security incident?').fill('The 500s come from a webshell in the upload path');
	await dialog.getByTestId('escalate-confirm').click();
	await expect(dialog).toBeHidden();

	await expect(page.getByTestId('room-kind')).toContainText('security');
	await expect(page.getByTestId('escalate-open')).toHaveCount(0);
	await expect(page.getByTestId('phase-name')).toHaveText('detected');
	await expect(page.getByRole('heading', { name: 'Containment first' })).toBeVisible();
	await expect(page.getByTestId('checklist-item').first()).toContainText('Isolate affected systems');
	await expect(page.getByTestId('room-flags')).toContainText('Members only');
	await expect(page.getByTestId('room-flags')).not.toContainText('Stakeholder links on');
	await expect(page.getByTestId('log')).toContainText('The 500s come from a webshell');
});
