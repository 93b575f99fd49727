/**
 * When an entry happened, as an interval and in words, for the timeline rows (EntryRow), the
 * swimlane picture and the figures panel.
 *
 * An entry is a span when it has `occurredUntil` (typed "2022-12-16..19"), or when it is known
 * only to the day or the hour: "2022-12-16" happened somewhere in that day, so it is drawn as
 * the day. Minute and exact entries are points.
 *
 * A day is a day in the zone it was given in: "2022-12-16" typed in Berlin starts at 23:00 UTC
 * on the 15th, and saying "15 Dec 23:00 UTC" would make up a precision nobody had. So days are
 * shown in the entry's own offset and labelled with it ("16–19 Dec 2022, UTC").
 */
import { DateTime } from 'luxon';
import type { EntryView, Precision } from '$lib/shared/doc-schema';

export interface EntryInterval {
	/** Milliseconds since the epoch. */
	start: number;
	/** Exclusive end; equal to `start` for a point. */
	end: number;
	span: boolean;
}

type When = Pick<EntryView, 'occurredAt' | 'occurredUntil' | 'occurredOffset' | 'precision'>;

const UNIT_MS: Partial<Record<Precision, number>> = { day: 86_400_000, hour: 3_600_000 };

export function entryInterval(entry: When): EntryInterval {
	const start = Date.parse(entry.occurredAt);
	if (entry.occurredUntil) return { start, end: Date.parse(entry.occurredUntil), span: true };
	const unit = UNIT_MS[entry.precision];
	// A day is 23 or 25 hours across a DST change only in a named zone; entries keep a fixed offset.
	return unit ? { start, end: start + unit, span: true } : { start, end: start, span: false };
}

/** The zone an entry was written in, as luxon reads it. */
function entryZone(offset: string): string {
	return offset === 'Z' || !/^[+-]\d{2}:\d{2}$/.test(offset) ? 'UTC' : `UTC${offset}`;
}

/** "UTC" or "UTC+02:00". */
export function offsetLabel(offset: string): string {
	return entryZone(offset) === 'UTC' ? 'UTC' : `UTC${offset}`;
}

/** True when the entry is known only to the day: shown as whole days in its own zone. */
export function isDayEntry(entry: When): boolean {
	return entry.precision === 'day';
}

/** "16 Dec 2022", "16–19 Dec 2022", "30 Nov – 2 Dec 2022", "30 Dec 2022 – 2 Jan 2023" (no zone). */
export function formatDays(startIso: string, untilIso: string | null, offset: string): string {
	const zone = entryZone(offset);
	const start = DateTime.fromISO(startIso, { zone: 'UTC' }).setZone(zone);
	// The end is exclusive: the last day is the one before it.
	const last = untilIso ? DateTime.fromISO(untilIso, { zone: 'UTC' }).setZone(zone).minus({ milliseconds: 1 }) : start;
	if (!start.isValid || !last.isValid) return startIso;
	if (last.hasSame(start, 'day')) return start.toFormat('d LLL yyyy');
	if (last.hasSame(start, 'month')) return `${start.toFormat('d')}–${last.toFormat('d LLL yyyy')}`;
	if (last.hasSame(start, 'year')) return `${start.toFormat('d LLL')} – ${last.toFormat('d LLL yyyy')}`;
	return `${start.toFormat('d LLL yyyy')} – ${last.toFormat('d LLL yyyy')}`;
}

const TIME_FORMAT: Record<Precision, string> = {
	day: 'yyyy-MM-dd',
	hour: "HH'h'",
	minute: 'HH:mm',
	exact: 'HH:mm:ss'
};

/**
 * A span of times in `zone`: "2018-10-21 22:50–22:55 UTC", or with both dates when it crosses
 * midnight there ("2018-10-21 23:50 – 2018-10-22 00:10 UTC"). The end shown is the last unit
 * inside the span (the end is exclusive), like the typed "22:50..22:55".
 */
export function formatTimeSpan(startIso: string, untilIso: string, precision: Precision, zone: string, zoneLabel: string): string {
	const start = DateTime.fromISO(startIso, { zone: 'UTC' }).setZone(zone);
	const unit = precision === 'hour' ? { hours: 1 } : precision === 'minute' ? { minutes: 1 } : { milliseconds: 0 };
	const last = DateTime.fromISO(untilIso, { zone: 'UTC' }).setZone(zone).minus(unit);
	if (!start.isValid || !last.isValid) return startIso;
	const time = TIME_FORMAT[precision];
	if (last.hasSame(start, 'day')) return `${start.toFormat(`yyyy-MM-dd ${time}`)}–${last.toFormat(time)} ${zoneLabel}`;
	return `${start.toFormat(`yyyy-MM-dd ${time}`)} – ${last.toFormat(`yyyy-MM-dd ${time}`)} ${zoneLabel}`;
}

/**
 * The entry's time in one line, for labels that have room for one clock only (the swimlane's
 * accessible names, the figures panel): days in the entry's own zone, times in UTC.
 */
export function describeWhen(entry: When): string {
	if (isDayEntry(entry)) return `${formatDays(entry.occurredAt, entry.occurredUntil, entry.occurredOffset)}, ${offsetLabel(entry.occurredOffset)}`;
	if (entry.occurredUntil) return formatTimeSpan(entry.occurredAt, entry.occurredUntil, entry.precision, 'UTC', 'UTC');
	const dt = DateTime.fromISO(entry.occurredAt, { zone: 'UTC' });
	return `${dt.toFormat(`yyyy-MM-dd ${TIME_FORMAT[entry.precision]}`)} UTC`;
}
