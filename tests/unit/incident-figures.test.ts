import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import circleci from '../fixtures/circleci-2023.json';
import github from '../fixtures/github-2018-10-21.json';
import { addEntry, readEntries, type Milestone } from '../../src/lib/shared/doc-schema';
import { formatDuration, incidentFigures } from '../../src/lib/shared/incident-figures';
import { parseOccurredAt } from '../../src/lib/shared/occurred-at';

function timeline(rows: { when?: string; occurredAt?: string; precision?: string; lane?: string; milestone?: string; text: string }[]) {
	const doc = new Y.Doc();
	rows.forEach((row, i) => {
		const parsed = parseOccurredAt(row.when ?? row.occurredAt ?? '', new Date('2026-01-01T00:00:00Z'), 'UTC');
		if (!parsed.ok) throw new Error(parsed.error);
		addEntry(doc, {
			id: `e${i}`,
			text: row.text,
			occurredAt: parsed.value.iso,
			occurredUntil: parsed.value.until ?? null,
			occurredOffset: parsed.value.offset,
			precision: (row.precision as 'day') ?? parsed.value.precision,
			lane: (row.lane as 'intrusion') ?? 'response',
			milestone: (row.milestone as Milestone) ?? null,
			writtenAt: '2026-01-01T00:00:00Z'
		});
	});
	return readEntries(doc);
}

describe('incident figures', () => {
	it('CircleCI 2023: dwell time, time to contain and time to recover match the published dates', () => {
		const figures = incidentFigures('security', timeline(circleci.entries));
		const byKey = Object.fromEntries(figures.map((f) => [f.key, f]));
		expect(byKey.dwell.ms).toBe(13 * 86_400_000);
		expect(byKey.contain.ms).toBe(6 * 86_400_000);
		expect(byKey.recover.ms).toBe(9 * 86_400_000 + 7.5 * 3_600_000);
		for (const f of figures) expect(formatDuration(f.ms as number, f.precision)).toBe(circleci.figures[f.key as keyof typeof circleci.figures]);
		expect(byKey.dwell.precision).toBe('day');
	});

	it('GitHub 2018: time to detect, mitigate and resolve from the start of impact, across midnight', () => {
		const figures = incidentFigures('outage', timeline(github.entries));
		for (const f of figures) expect(formatDuration(f.ms as number, f.precision)).toBe(github.figures[f.key as keyof typeof github.figures]);
	});

	it('leaves a figure open while its end is not recorded', () => {
		const figures = incidentFigures('security', timeline(circleci.entries.filter((e) => e.key !== 'R9')));
		expect(figures.find((f) => f.key === 'recover')).toMatchObject({ ms: null, to: null });
	});

	it('keeps spans: a range entry runs to the end of its last day', () => {
		const entries = timeline(circleci.entries);
		const i2 = entries.find((e) => e.text.startsWith('The malware lifts'));
		expect(i2).toMatchObject({ occurredAt: '2022-12-16T00:00:00.000Z', occurredUntil: '2022-12-20T00:00:00.000Z', lane: 'intrusion' });
	});
});

describe('formatDuration between ends known to the day', () => {
	it('says "under a day" rather than "~0 d", and counts whole days otherwise', () => {
		expect(formatDuration(10 * 3_600_000, 'day')).toBe('under a day');
		expect(formatDuration(13 * 86_400_000, 'day')).toBe('~13 d');
	});

	it('shows marks in the wrong order as a negative span with its sign in front, not a mix of signs', () => {
		expect(formatDuration(-65 * 60_000)).toBe('−1 h 5 min');
		expect(formatDuration(-3 * 86_400_000, 'day')).toBe('~−3 d');
	});
});
