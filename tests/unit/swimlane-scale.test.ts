import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import circleci from '../fixtures/circleci-2023.json';
import github from '../fixtures/github-2018-10-21.json';
import { addEntry, readEntries, type Lane, type Milestone } from '../../src/lib/shared/doc-schema';
import { parseOccurredAt } from '../../src/lib/shared/occurred-at';
import {
	detectionAt,
	fitWindow,
	laneRows,
	MIN_WINDOW_MS,
	panWindow,
	placeItems,
	swimItems,
	timeTicks,
	xOf,
	zoomWindow
} from '../../src/lib/client/swimlane-scale';

function entries(rows: { when?: string; occurredAt?: string; lane?: string; milestone?: string; text: string }[]) {
	const doc = new Y.Doc();
	rows.forEach((row, i) => {
		const parsed = parseOccurredAt(row.when ?? row.occurredAt ?? '', new Date('2026-01-01T00:00:00Z'), 'UTC');
		if (!parsed.ok) throw new Error(parsed.error);
		addEntry(doc, {
			id: `e${String(i).padStart(2, '0')}`,
			text: row.text,
			occurredAt: parsed.value.iso,
			occurredUntil: parsed.value.until ?? null,
			occurredOffset: parsed.value.offset,
			precision: parsed.value.precision,
			lane: (row.lane as Lane) ?? 'response',
			milestone: (row.milestone as Milestone) ?? null,
			writtenAt: '2026-01-01T00:00:00Z'
		});
	});
	return readEntries(doc);
}

const DAY = 86_400_000;

describe('swimlane scale', () => {
	it('draws CircleCI\'s day rows and ranges as spans, fits the weeks, and ticks by the day', () => {
		const items = swimItems(entries(circleci.entries));
		const range = items.find((item) => item.id === 'e01')!;
		expect(range).toMatchObject({ lane: 'intrusion', span: true, start: Date.parse('2022-12-16T00:00:00Z'), end: Date.parse('2022-12-20T00:00:00Z') });
		expect(items.filter((item) => item.lane === 'intrusion').every((item) => item.span)).toBe(true);

		const fit = fitWindow(items)!;
		expect(fit.start).toBeLessThan(Date.parse('2022-12-16T00:00:00Z'));
		expect(fit.end - fit.start).toBeGreaterThan(14 * DAY);
		const ticks = timeTicks(fit, 900);
		expect(ticks.length).toBeGreaterThan(3);
		expect(ticks.every((t) => new Date(t.at).getUTCHours() === 0)).toBe(true);
		expect(detectionAt(items)).toBe(Date.parse('2022-12-29T00:00:00Z'));
	});

	it('fits GitHub\'s night of minute rows and ticks by the hour or finer, with the date at midnight', () => {
		const items = swimItems(entries(github.entries.map((e) => ({ ...e, when: e.occurredAt }))));
		expect(items.every((item) => !item.span)).toBe(true);
		const fit = fitWindow(items)!;
		expect(fit.end - fit.start).toBeLessThan(2 * DAY);
		const ticks = timeTicks(fit, 1000);
		expect(ticks.length).toBeGreaterThan(4);
		const midnight = ticks.find((t) => t.major);
		expect(midnight?.label).toBe('22 Oct');
		expect(ticks.find((t) => !t.major)?.label).toMatch(/^\d{2}:\d{2}$/);
	});

	it('zooms around the anchor, never narrower than a minute nor far wider than everything', () => {
		const view = { start: 0, end: 100 * 60_000 };
		const zoomed = zoomWindow(view, 0.5, 0.25);
		expect(zoomed.end - zoomed.start).toBe(50 * 60_000);
		// The instant a quarter in stays a quarter in.
		expect(zoomed.start + (zoomed.end - zoomed.start) * 0.25).toBe(25 * 60_000);
		let tight = view;
		for (let i = 0; i < 40; i++) tight = zoomWindow(tight, 0.5);
		expect(tight.end - tight.start).toBe(MIN_WINDOW_MS);
		let wide = view;
		for (let i = 0; i < 40; i++) wide = zoomWindow(wide, 2, 0.5, view);
		expect(wide.end - wide.start).toBe(8 * 100 * 60_000);
		expect(panWindow(view, 0.1)).toEqual({ start: 10 * 60_000, end: 110 * 60_000 });
	});

	it('gives a lone point room around it', () => {
		const fit = fitWindow([{ start: 1_000_000, end: 1_000_000 }])!;
		expect(fit.end - fit.start).toBe(60 * 60_000);
		expect(xOf(fit, 600, 1_000_000)).toBe(300);
	});

	it('stacks overlapping items into rows per lane and keeps apart ones on one row', () => {
		const items = [
			{ id: 'a', lane: 'intrusion' as const, start: 0, end: 50, span: true, milestone: null },
			{ id: 'b', lane: 'intrusion' as const, start: 20, end: 70, span: true, milestone: null },
			{ id: 'c', lane: 'intrusion' as const, start: 80, end: 90, span: true, milestone: null },
			{ id: 'd', lane: 'response' as const, start: 30, end: 30, span: false, milestone: null }
		];
		const placed = placeItems(items, { start: 0, end: 100 }, 1000);
		const row = Object.fromEntries(placed.map((p) => [p.id, p.row]));
		expect(row).toEqual({ a: 0, b: 1, c: 0, d: 0 });
		expect(laneRows(placed)).toEqual({ intrusion: 2, response: 1 });
		expect(placed.find((p) => p.id === 'd')).toMatchObject({ x: 300, x2: 300 });
	});
});
