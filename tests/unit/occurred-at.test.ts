import { describe, expect, it } from 'vitest';
import { formatInZone, formatUtc, isInFuture, parseOccurredAt } from '../../src/lib/shared/occurred-at';

const now = new Date('2026-03-10T15:30:45.123Z');

function parse(input: string, zone = 'UTC') {
	const result = parseOccurredAt(input, now, zone);
	if (!result.ok) throw new Error(result.error);
	return result.value;
}

describe('parseOccurredAt', () => {
	it('defaults to now when nothing is typed', () => {
		expect(parse('')).toEqual({ iso: '2026-03-10T15:30:45.123Z', offset: 'Z', precision: 'exact' });
		expect(parse('  ', 'Europe/Berlin').offset).toBe('+01:00');
	});

	it.each([
		['2018-10-21T22:52:00Z', '2018-10-21T22:52:00.000Z', 'Z', 'exact'],
		['2018-10-21 22:52 UTC', '2018-10-21T22:52:00.000Z', 'Z', 'minute'],
		['2018-10-21 22:52Z', '2018-10-21T22:52:00.000Z', 'Z', 'minute'],
		['2018-10-21 22:52 GMT', '2018-10-21T22:52:00.000Z', 'Z', 'minute'],
		['2018-10-21T22:52:00+02:00', '2018-10-21T20:52:00.000Z', '+02:00', 'exact'],
		['2018-10-21 22:52 +0200', '2018-10-21T20:52:00.000Z', '+02:00', 'minute'],
		['2018-10-21 22:52-05:30', '2018-10-22T04:22:00.000Z', '-05:30', 'minute'],
		['2018-10-21 22:52 America/New_York', '2018-10-22T02:52:00.000Z', '-04:00', 'minute'],
		['2018-10-21T22', '2018-10-21T22:00:00.000Z', 'Z', 'hour'],
		['2018-10-21', '2018-10-21T00:00:00.000Z', 'Z', 'day'],
		['Sun, 21 Oct 2018 22:52:00 GMT', '2018-10-21T22:52:00.000Z', 'Z', 'exact'],
		['Sun, 21 Oct 2018 22:52:00 +0100', '2018-10-21T21:52:00.000Z', '+01:00', 'exact']
	])('reads %s as %s (offset %s, precision %s)', (input, iso, offset, precision) => {
		expect(parse(input)).toEqual({ iso, offset, precision, ...(input.includes('America/') ? { zone: 'America/New_York' } : {}) });
	});

	it('reads common zone abbreviations as their fixed offsets, and refuses ambiguous ones with the way out', () => {
		const now = new Date('2026-12-04T09:00:00Z');
		const read = (text: string) => parseOccurredAt(text, now, 'UTC');
		expect(read('2018-10-21 15:52 PDT')).toMatchObject({ ok: true, value: { iso: '2018-10-21T22:52:00.000Z', offset: '-07:00', precision: 'minute' } });
		expect(read('2023-01-04 19:30 CET')).toMatchObject({ ok: true, value: { iso: '2023-01-04T18:30:00.000Z', offset: '+01:00' } });
		expect(read('2022-12-16 PST')).toMatchObject({ ok: true, value: { iso: '2022-12-16T08:00:00.000Z', precision: 'day' } });
		const ist = read('10:00 IST');
		expect(ist.ok).toBe(false);
		expect(ist.ok ? '' : ist.error).toContain('10:00 +05:30');
	});

	it('reads a time without a zone in the default zone', () => {
		expect(parse('2018-10-21 22:52', 'Europe/Berlin')).toEqual({
			iso: '2018-10-21T20:52:00.000Z',
			offset: '+02:00',
			zone: 'Europe/Berlin',
			precision: 'minute'
		});
		expect(parse('2018-10-21 22:52', 'UTC').iso).toBe('2018-10-21T22:52:00.000Z');
	});

	it('reads a bare time of day as today in the given or default zone', () => {
		expect(parse('09:15')).toEqual({ iso: '2026-03-10T09:15:00.000Z', offset: 'Z', precision: 'minute' });
		expect(parse('09:15:30+02:00')).toEqual({ iso: '2026-03-10T07:15:30.000Z', offset: '+02:00', precision: 'exact' });
		// 15:30 UTC is 08:30 in Los Angeles; 07:00 there is earlier today.
		expect(parse('07:00', 'America/Los_Angeles').iso).toBe('2026-03-10T14:00:00.000Z');
	});

	it('reads a bare time of day that would be in the future as yesterday', () => {
		// now is 15:30:45 UTC: 23:50 means last night, 15:34 (within five minutes) still today.
		expect(parse('23:50').iso).toBe('2026-03-09T23:50:00.000Z');
		expect(parse('15:34').iso).toBe('2026-03-10T15:34:00.000Z');
		expect(parse('17:00+02:00').iso).toBe('2026-03-10T15:00:00.000Z');
		expect(parse('18:00+02:00').iso).toBe('2026-03-09T16:00:00.000Z');
	});

	it('flags times more than five minutes ahead', () => {
		expect(isInFuture('2026-03-10T15:40:00.000Z', now)).toBe(true);
		expect(isInFuture('2026-03-10T15:34:00.000Z', now)).toBe(false);
	});

	it.each(['yesterday-ish', '2018-13-45 10:00', '25:00', '2018-10-21 22:52 Mars/Olympus'])('explains why it cannot read %s', (input) => {
		const result = parseOccurredAt(input, now, 'UTC');
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.error).toMatch(/cannot read|not a time|unknown time zone/);
	});
});

describe('formatting', () => {
	it('shows UTC with the precision the time was given in', () => {
		expect(formatUtc('2018-10-21T22:52:00.000Z', 'minute')).toBe('2018-10-21 22:52 UTC');
		expect(formatUtc('2018-10-21T22:52:07.000Z', 'exact')).toBe('2018-10-21 22:52:07 UTC');
		expect(formatUtc('2018-10-21T00:00:00.000Z', 'day')).toBe('2018-10-21 UTC');
	});

	it('shows the same instant in another zone with its offset', () => {
		expect(formatInZone('2018-10-21T22:52:00.000Z', 'Asia/Tokyo', 'minute')).toBe('2018-10-22 07:52 GMT+9');
	});
});

describe('spans', () => {
	it.each([
		['2022-12-16..19', '2022-12-16T00:00:00.000Z', '2022-12-20T00:00:00.000Z', 'day'],
		['2022-12-16..2022-12-19', '2022-12-16T00:00:00.000Z', '2022-12-20T00:00:00.000Z', 'day'],
		['2022-12-16..19 UTC', '2022-12-16T00:00:00.000Z', '2022-12-20T00:00:00.000Z', 'day'],
		['2022-12-30..01-02', '2022-12-30T00:00:00.000Z', '2023-01-03T00:00:00.000Z', 'day'],
		['2018-10-21 22:50..22:55 UTC', '2018-10-21T22:50:00.000Z', '2018-10-21T22:56:00.000Z', 'minute'],
		['2018-10-21 22:50+02:00..23:10', '2018-10-21T20:50:00.000Z', '2018-10-21T21:11:00.000Z', 'minute']
	])('reads %s as %s until %s', (input, iso, until, precision) => {
		expect(parse(input)).toMatchObject({ iso, until, precision });
	});

	it('refuses a span that ends before it starts', () => {
		const result = parseOccurredAt('2022-12-19..2022-12-16', now, 'UTC');
		expect(result.ok).toBe(false);
	});
});

describe('the zone a time was given in', () => {
	it("keeps a named zone, typed or the writer's own, and none for UTC or a bare offset", () => {
		expect(parseOccurredAt('2018-10-21 18:52 America/New_York', now, 'UTC')).toMatchObject({ ok: true, value: { zone: 'America/New_York', offset: '-04:00' } });
		expect(parseOccurredAt('2018-10-21 22:52', now, 'Europe/Berlin')).toMatchObject({ ok: true, value: { zone: 'Europe/Berlin', offset: '+02:00' } });
		const utc = parseOccurredAt('2018-10-21 22:52 UTC', now, 'Europe/Berlin');
		expect(utc.ok && utc.value.zone).toBeUndefined();
		const offset = parseOccurredAt('22:52+02:00', now, 'Europe/Berlin');
		expect(offset.ok && offset.value.zone).toBeUndefined();
	});
});
