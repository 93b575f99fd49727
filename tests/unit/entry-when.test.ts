import { describe, expect, it } from 'vitest';
import { describeWhen, entryInterval, formatDays, formatTimeSpan } from '../../src/lib/client/entry-when';
import { parseOccurredAt } from '../../src/lib/shared/occurred-at';

function when(typed: string, zone = 'UTC') {
	const parsed = parseOccurredAt(typed, new Date('2026-01-01T00:00:00Z'), zone);
	if (!parsed.ok) throw new Error(parsed.error);
	const { iso, until, offset, precision } = parsed.value;
	return { occurredAt: iso, occurredUntil: until ?? null, occurredOffset: offset, precision };
}

describe('entry when', () => {
	it('shows a typed day range as the days it covers, in the zone it was typed in', () => {
		expect(describeWhen(when('2022-12-16..19'))).toBe('16–19 Dec 2022, UTC');
		expect(describeWhen(when('2022-12-16'))).toBe('16 Dec 2022, UTC');
		expect(describeWhen(when('2022-11-30..12-02'))).toBe('30 Nov – 2 Dec 2022, UTC');
		expect(describeWhen(when('2022-12-30..2023-01-02'))).toBe('30 Dec 2022 – 2 Jan 2023, UTC');
		// Typed in Berlin: still the 16th to the 19th, not "15 Dec 23:00".
		expect(describeWhen(when('2022-12-16..19', 'Europe/Berlin'))).toBe('16–19 Dec 2022, UTC+01:00');
	});

	it('makes day entries and ranges spans and minute entries points', () => {
		expect(entryInterval(when('2022-12-16'))).toEqual({ start: Date.parse('2022-12-16T00:00:00Z'), end: Date.parse('2022-12-17T00:00:00Z'), span: true });
		expect(entryInterval(when('2018-10-21 22:52 UTC')).span).toBe(false);
	});

	it('shows a span of minutes with its last minute, and both dates across midnight', () => {
		const span = when('2018-10-21 22:50..22:55 UTC');
		expect(formatTimeSpan(span.occurredAt, span.occurredUntil!, span.precision, 'UTC', 'UTC')).toBe('2018-10-21 22:50–22:55 UTC');
		const night = when('2018-10-21 23:50..2018-10-22 00:10 UTC');
		expect(describeWhen(night)).toBe('2018-10-21 23:50 – 2018-10-22 00:10 UTC');
		expect(formatDays('2022-12-16T00:00:00.000Z', null, 'Z')).toBe('16 Dec 2022');
	});
});
