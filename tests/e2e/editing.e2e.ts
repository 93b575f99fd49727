/**
 * Editing in the room the way a responder under stress does it: keys that finish what they
 * started, a title that is never silently overwritten, and a log that stays readable while
 * people type.
 */
import { expect, openAs, openNewIncident, test, waitUntilLive } from './fixtures';

test('Enter finishes an in-place edit without adding a newline; Shift+Enter keeps one', async ({ page, users }) => {
	await openNewIncident(page, users.ada, 'Edit keys');
	await expect(page.getByLabel('What happened'), 'the room opens ready to type').toBeFocused();
	await page.keyboard.type('Restarted the primary');
	await page.keyboard.press('Enter');
	const entry = page.getByTestId('entry');
	const text = entry.getByTestId('entry-text');
	await expect(text).toHaveText('Restarted the primary');

	await entry.getByRole('button', { name: 'Edit' }).click();
	const editor = page.getByRole('textbox', { name: 'Entry text' });
	await expect(editor).toBeFocused();
	await editor.press('Control+End');
	await editor.pressSequentially(' at 22:54');
	await editor.press('Enter');
	await expect(editor).toHaveCount(0);
	await expect(entry.getByRole('button', { name: 'Edit' })).toBeFocused();
	await expect.poll(() => text.evaluate((el) => el.textContent)).toBe('Restarted the primary at 22:54');

	await entry.getByRole('button', { name: 'Edit' }).click();
	await editor.press('Control+End');
	await editor.press('Shift+Enter');
	await editor.pressSequentially('replica lag back to 0');
	await editor.press('Enter');
	await expect.poll(() => text.evaluate((el) => el.textContent)).toBe('Restarted the primary at 22:54\nreplica lag back to 0');
});

test('a rename by someone else while you edit the title is shown next to your draft, not overwritten', async ({
	page: pageA,
	browser,
	baseURL,
	users
}) => {
	const path = await openNewIncident(pageA, users.ada, 'DB failover stuck');
	const pageB = await openAs(browser, baseURL!, users.grace, path, 'America/Los_Angeles');
	await waitUntilLive(pageB);

	const titleA = pageA.getByRole('textbox', { name: 'Incident title' });
	await titleA.click();
	await titleA.press('Control+End');
	await titleA.pressSequentially(' in eu-west');
	await expect(pageA.getByTestId('title-state')).toHaveText('Not saved yet: Enter to save, Esc to undo');

	const titleB = pageB.getByRole('textbox', { name: 'Incident title' });
	await titleB.fill('Primary DB failover stuck (Patroni)');
	await titleB.press('Enter');

	await expect(pageA.getByTestId('title-state')).toContainText(`${users.grace.name} changed it to`);
	await expect(pageA.getByTestId('title-theirs')).toHaveText('Primary DB failover stuck (Patroni)');
	await expect(titleA, "Ada's draft is still hers").toHaveValue('DB failover stuck in eu-west');
	// Leaving the field does not write the draft over Grace's rename.
	await titleA.press('Tab');
	await expect(titleB).toHaveValue('Primary DB failover stuck (Patroni)');
	await pageA.getByRole('button', { name: 'Use theirs' }).click();
	await expect(titleA).toHaveValue('Primary DB failover stuck (Patroni)');
	await expect(pageA.getByTestId('title-state')).toHaveText('');

	await pageB.context().close();
});

test('two people typing at the same spot in the notes each keep their own words, not letters taken in turns', async ({
	page: pageA,
	browser,
	baseURL,
	users
}) => {
	const path = await openNewIncident(pageA, users.ada, 'Notes at the same spot');
	const pageB = await openAs(browser, baseURL!, users.grace, path, 'UTC');
	await waitUntilLive(pageB);
	const notesA = pageA.getByRole('textbox', { name: 'Notes' });
	const notesB = pageB.getByRole('textbox', { name: 'Notes' });
	await notesA.fill('Shift log:');
	await expect(notesB).toHaveValue('Shift log:');
	await notesA.press('Control+End');
	await notesB.press('Control+End');
	// Both type at the end at once, keystroke by keystroke.
	await Promise.all([notesA.pressSequentially(' Ada check launchd', { delay: 10 }), notesB.pressSequentially(' Grace ticket 123', { delay: 10 })]);
	await expect.poll(async () => [await notesA.inputValue(), await notesB.inputValue()]).toEqual([
		expect.stringContaining(' Ada check launchd'),
		expect.stringContaining(' Ada check launchd')
	]);
	const final = await notesA.inputValue();
	expect(final).toContain(' Grace ticket 123');
	await expect(notesB).toHaveValue(final);
	expect(final.length).toBe('Shift log:'.length + ' Ada check launchd'.length + ' Grace ticket 123'.length);
	await pageB.context().close();
});

test('the log folds a run of keystroke edits into one line and names severities SEV1…SEV4', async ({ page, users }) => {
	const path = await openNewIncident(page, users.ada, 'Busy notes');
	const incidentId = path.split('/').pop()!;
	await page.getByLabel('Severity').selectOption('1');
	await page.getByRole('textbox', { name: 'Notes' }).pressSequentially('primary unreachable', { delay: 20 });

	await page.locator('summary').filter({ hasText: /^Log/ }).click();
	const lines = page.getByTestId('log-line');
	const notes = lines.filter({ hasText: 'edited the notes' });
	await expect(notes).toHaveCount(1);

	// Once every keystroke has been committed, the one line counts every notes row of the log.
	const noteRows = async () => {
		const response = await page.request.get(`/api/incidents/${incidentId}/log?limit=1000`);
		const { events } = (await response.json()) as { events: { changes: { type: string }[] }[] };
		return events.filter((e) => e.changes.length > 0 && e.changes.every((c) => c.type === 'notes.edited')).length;
	};
	await expect
		.poll(async () => {
			const [rows, shown] = await Promise.all([noteRows(), notes.getByTestId('log-count').innerText()]);
			return shown.includes(`×${rows}`) ? rows : `${shown} ≠ ×${rows}`;
		})
		.toBeGreaterThan(1);
	await expect(lines.filter({ hasText: 'severity: SEV2 → SEV1' })).toHaveCount(1);
});

test('a pasted line that starts with its time fills When and the text, and is added at that time', async ({ page, users }) => {
	await openNewIncident(page, users.ada, 'Backfill by paste');
	await page.getByRole('radio', { name: 'UTC', exact: true }).check();
	const what = page.getByLabel('What happened');
	await what.evaluate((el, line) => {
		const data = new DataTransfer();
		data.setData('text/plain', line);
		el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
	}, '2018-10-21 23:07 UTC Engineers lock deployment tooling');
	await expect(page.getByLabel(/^When/)).toHaveValue('2018-10-21 23:07 UTC');
	await expect(what).toHaveValue('Engineers lock deployment tooling');
	await what.press('Enter');
	const entry = page.getByTestId('entry');
	await expect(entry.getByTestId('entry-text')).toHaveText('Engineers lock deployment tooling');
	await expect(entry).toContainText('2018-10-21 23:07');
});

test('a wrong time is corrected in place and a mistaken entry removed; the log keeps both changes', async ({ page, users }) => {
	const path = await openNewIncident(page, users.ada, 'Corrections');
	const id = path.split('/').pop()!;
	await page.getByRole('radio', { name: 'UTC', exact: true }).check();
	await page.getByLabel('What happened').fill('Engineers lock deployment tooling');
	await page.getByLabel('What happened').press('Enter');
	await page.getByLabel('What happened').fill('Typed into the wrong incident');
	await page.getByLabel('What happened').press('Enter');
	const locked = page.getByTestId('entry').filter({ hasText: 'Engineers lock' });
	await expect(locked.getByTestId('entry-added-by')).toHaveText(users.ada.name);

	await locked.getByRole('button', { name: 'Change time' }).click();
	const when = locked.getByTestId('entry-retime').getByLabel('When');
	await expect(when).toBeFocused();
	await when.fill('2018-10-21 23:07 UTC');
	await expect(locked.getByTestId('entry-retime')).toContainText('2018-10-21 23:07');
	await when.press('Enter');
	await expect(locked).toHaveAttribute('data-occurred-at', '2018-10-21T23:07:00.000Z');
	await expect(locked.getByRole('button', { name: 'Change time' })).toBeFocused();

	const wrong = page.getByTestId('entry').filter({ hasText: 'wrong incident' });
	page.once('dialog', (dialog) => void dialog.accept());
	await wrong.getByRole('button', { name: 'Remove' }).click();
	await expect(page.getByTestId('entry')).toHaveCount(1);

	await expect
		.poll(async () => {
			const log = (await (await page.request.get(`/api/incidents/${id}/log?limit=1000`)).json()) as {
				events: { actor: { name: string } | null; changes: { type: string; fields?: string[] }[] }[];
			};
			return log.events.flatMap((e) => e.changes.filter((c) => c.type === 'entry.removed' || (c.type === 'entry.edited' && c.fields?.includes('occurredAt'))).map((c) => `${c.type} by ${e.actor?.name}`));
		})
		.toEqual([`entry.edited by ${users.ada.name}`, `entry.removed by ${users.ada.name}`]);
});
