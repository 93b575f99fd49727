/**
 * The incident room end to end: two responders in two browsers, one real server per engine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, openAs, readTimeline, signIn, test, typeEntry, waitUntilLive, type TimelineRow } from './fixtures';

interface Fixture {
	incident: string;
	kind: 'outage' | 'security';
	severity: number;
	entries: { occurredAt: string; team: string; text: string }[];
}

const FIXTURE = JSON.parse(
	fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/github-2018-10-21.json'), 'utf8')
) as Fixture;

interface LogEventJson {
	seq: number;
	actor: { id: string; name: string } | null;
	changes: { type: string; entryId?: string }[];
}

/** "2018-10-21T22:52:00Z" → "2018-10-21 22:52 UTC", the way a responder pastes it. */
function asTyped(iso: string): string {
	return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

test('two responders typing the GitHub 2018 timeline at once both see every row in occurred-at order, attributed to its typist', async ({
	page: pageA,
	browser,
	baseURL,
	users
}) => {
	expect(FIXTURE.entries).toHaveLength(19);

	// Ada opens the incident through the UI.
	await pageA.goto('/');
	await signIn(pageA, users.ada, /\/$/);
	await pageA.getByLabel('Title').fill(FIXTURE.incident);
	await pageA.getByLabel('Kind').selectOption(FIXTURE.kind);
	await pageA.getByLabel('Severity').selectOption(String(FIXTURE.severity));
	await pageA.getByRole('button', { name: 'Open incident room' }).click();
	await pageA.waitForURL(/\/incidents\/[^/]+$/);
	const roomPath = new URL(pageA.url()).pathname;
	const incidentId = roomPath.split('/').pop()!;

	// Grace follows the link in her own browser, in another zone, and is asked to sign in on the way.
	const pageB = await openAs(browser, baseURL!, users.grace, roomPath, 'America/Los_Angeles');
	await Promise.all([waitUntilLive(pageA), waitUntilLive(pageB)]);
	await expect(pageA.getByRole('textbox', { name: 'Incident title' })).toHaveValue(FIXTURE.incident);
	await expect(pageB.getByRole('textbox', { name: 'Incident title' })).toHaveValue(FIXTURE.incident);
	await expect(pageA.getByTestId('presence')).toContainText(users.grace.name);
	await expect(pageB.getByTestId('presence')).toContainText(users.ada.name);

	const adaId = ((await (await pageA.request.get('/api/me')).json()) as { user: { id: string } }).user.id;
	const graceId = ((await (await pageB.request.get('/api/me')).json()) as { user: { id: string } }).user.id;

	// Both type at once: Ada the even rows, Grace the odd rows.
	const typeRows = async (page: Page, parity: 0 | 1) => {
		for (const [index, entry] of FIXTURE.entries.entries()) {
			if (index % 2 === parity) await typeEntry(page, asTyped(entry.occurredAt), entry.text);
		}
	};
	await Promise.all([typeRows(pageA, 0), typeRows(pageB, 1)]);

	const typistOf = (text: string) => {
		const index = FIXTURE.entries.findIndex((e) => e.text === text);
		expect(index, `row text "${text}" is one of the fixture's`).toBeGreaterThanOrEqual(0);
		return index % 2 === 0 ? { id: adaId, name: users.ada.name } : { id: graceId, name: users.grace.name };
	};

	/** Waits for all 19 rows, each confirmed by the log, and returns them in DOM order. */
	const settledTimeline = async (page: Page): Promise<TimelineRow[]> => {
		await expect(page.getByTestId('entry')).toHaveCount(FIXTURE.entries.length);
		await expect(page.locator('[data-testid="entry-added-by"][data-pending]')).toHaveCount(0);
		return readTimeline(page);
	};

	/** Checks both pages against the log and the fixture; returns the order they show. */
	const checkTimeline = async (label: string): Promise<string[]> => {
		const [rowsA, rowsB] = await Promise.all([settledTimeline(pageA), settledTimeline(pageB)]);
		expect(rowsB.map((r) => r.id), `${label}: both pages show the same order`).toEqual(rowsA.map((r) => r.id));
		expect(new Set(rowsA.map((r) => r.text))).toEqual(new Set(FIXTURE.entries.map((e) => e.text)));

		const response = await pageA.request.get(`/api/incidents/${incidentId}/log?limit=1000`);
		expect(response.ok()).toBe(true);
		const { events } = (await response.json()) as { events: LogEventJson[] };
		const added = new Map<string, LogEventJson>();
		for (const event of events) {
			for (const change of event.changes) if (change.type === 'entry.added' && change.entryId) added.set(change.entryId, event);
		}

		// Non-decreasing in occurred-at; ties (rows 1–3 at 22:52) in the order the log added them.
		for (let i = 1; i < rowsA.length; i++) {
			const prev = rowsA[i - 1];
			const cur = rowsA[i];
			const byTime = Date.parse(cur.occurredAt) - Date.parse(prev.occurredAt);
			expect(byTime, `${label}: row ${i} is not earlier than row ${i - 1}`).toBeGreaterThanOrEqual(0);
			if (byTime === 0) {
				expect(added.get(cur.id)!.seq, `${label}: tie at ${cur.occurredAt} follows log order`).toBeGreaterThan(
					added.get(prev.id)!.seq
				);
			}
		}
		expect(rowsA.filter((r) => r.occurredAt.startsWith('2018-10-21T22:52:00'))).toHaveLength(3);

		// Each row is attributed to its typist, in the log and in the UI.
		for (const [rows, who] of [
			[rowsA, 'Ada'],
			[rowsB, 'Grace']
		] as const) {
			for (const row of rows) {
				const typist = typistOf(row.text);
				const event = added.get(row.id);
				expect(event, `${label}: the log has an entry.added for "${row.text}"`).toBeDefined();
				expect(event!.actor?.id, `${label}: the log says who typed "${row.text}"`).toBe(typist.id);
				expect(row.addedBy, `${label}: ${who}'s page says who typed "${row.text}"`).toBe(typist.name);
				const fixtureEntry = FIXTURE.entries.find((e) => e.text === row.text)!;
				expect(Date.parse(row.occurredAt)).toBe(Date.parse(fixtureEntry.occurredAt));
			}
		}
		return rowsA.map((r) => r.id);
	};

	const liveOrder = await checkTimeline('live');
	await Promise.all([pageA.reload(), pageB.reload()]);
	await Promise.all([waitUntilLive(pageA), waitUntilLive(pageB)]);
	expect(await checkTimeline('after reload')).toEqual(liveOrder);

	await pageB.context().close();
});
