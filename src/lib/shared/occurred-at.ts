/**
 * Reads the time a responder typed or pasted for a timeline entry. Used by the room's entry
 * box (with a live preview) and by imports. Keeps what was given: the instant (stored in UTC),
 * the offset it was written in, and how precise it was.
 *
 * Accepted, with or without seconds and with `T` or a space between date and time:
 *   2018-10-21T22:52:00Z   2018-10-21 22:52 UTC   2018-10-21 22:52+02:00   2018-10-21 22:52 +0200
 *   2018-10-21 22:52 Europe/Berlin   2018-10-21 (a day)   22:52 (today)   Sun, 21 Oct 2018 22:52:00 GMT
 *   14:03 PDT (common zone abbreviations, as fixed offsets)
 * A time without an offset or zone is read in `defaultZone` (the viewer's zone, or UTC if chosen).
 * A time of day without a date is today, or yesterday when today's would be more than
 * FUTURE_SLACK_MS ahead: at 03:10, "23:50" means last night, not tonight.
 * A span is two of these joined by "..": `2022-12-16..19`, `2022-12-16..2022-12-19`,
 * `2018-10-21 22:50..22:55 UTC`; the end may leave out what it shares with the start, and it
 * is inclusive of its last unit (`..19` runs to the end of the 19th).
 */
import { DateTime } from 'luxon';
import type { Precision } from './doc-schema';

export interface OccurredAt {
	/** ISO 8601 in UTC (the start, for a span). */
	iso: string;
	/** For a span, its exclusive end, ISO 8601 in UTC. */
	until?: string;
	/** The offset the time was given in: `Z` or `+02:00`. */
	offset: string;
	/** The named zone it was given in (`Europe/Berlin`), when it was read in one. */
	zone?: string;
	precision: Precision;
}

export type OccurredAtResult = { ok: true; value: OccurredAt } | { ok: false; error: string };

const ZONE_SUFFIX = /\s+(UTC|GMT|Z)$/i;
/**
 * Zone abbreviations as they appear in chat, pager and status-page messages ("14:03 PDT"), each
 * read as the fixed offset it names. Ambiguous ones (IST: India, Ireland or Israel) are left
 * out; the preview shows the result in UTC, so a misreading is seen before Enter.
 */
const ABBREVIATIONS: Record<string, string> = {
	HST: '-10:00',
	AKST: '-09:00',
	AKDT: '-08:00',
	PST: '-08:00',
	PDT: '-07:00',
	MST: '-07:00',
	MDT: '-06:00',
	CST: '-06:00',
	CDT: '-05:00',
	EST: '-05:00',
	EDT: '-04:00',
	WET: '+00:00',
	WEST: '+01:00',
	BST: '+01:00',
	CET: '+01:00',
	CEST: '+02:00',
	EET: '+02:00',
	EEST: '+03:00',
	JST: '+09:00',
	AEST: '+10:00',
	AEDT: '+11:00'
};
const ABBREVIATION_SUFFIX = /\s+([A-Z]{3,4})$/;
const NUMERIC_OFFSET = /\s*([+-])(\d{2}):?(\d{2})$/;
const IANA_SUFFIX = /\s+([A-Za-z]+\/[A-Za-z_+-]+(?:\/[A-Za-z_+-]+)?)$/;
/** How far ahead of now a time may be before it is taken as a mistake (clock skew, a typo). */
export const FUTURE_SLACK_MS = 5 * 60 * 1000;

const TIME_ONLY = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

export function parseOccurredAt(input: string, now: Date, defaultZone: string): OccurredAtResult {
	const span = /^(.+?)\s*\.\.\s*(.+)$/.exec(input.trim());
	if (span) return parseSpan(span[1], span[2], now, defaultZone, input.trim());
	return parseInstant(input, now, defaultZone);
}

/** Both ends of a span, the end completed from the start ("2022-12-16..19" → the 16th to the end of the 19th). */
function parseSpan(startText: string, endText: string, now: Date, defaultZone: string, whole: string): OccurredAtResult {
	// A zone written after the end ("22:50..22:55 UTC") belongs to both ends.
	const zone = /\s+(UTC|GMT|Z|[+-]\d{2}:?\d{2}|[A-Za-z]+\/[A-Za-z_+-]+)$/i.exec(endText);
	const start = parseInstant(zone && !/[a-z]\/|utc|gmt|z$|[+-]\d{2}:?\d{2}$/i.test(startText) ? `${startText}${zone[0]}` : startText, now, defaultZone);
	if (!start.ok) return start;
	const localStart = DateTime.fromISO(start.value.iso).setZone(start.value.offset === 'Z' ? 'UTC' : `UTC${start.value.offset}`);
	// The zone was given to the start above; the end is read in the start's offset.
	let completed = (zone ? endText.slice(0, zone.index) : endText).trim();
	// What the end leaves out it shares with the start; past the start's month or year end, the next one.
	let rollOver: { months?: number; years?: number } = {};
	if (/^\d{1,2}$/.test(completed)) {
		completed = `${localStart.toFormat('yyyy-MM')}-${completed.padStart(2, '0')}`;
		rollOver = { months: 1 };
	} else if (/^\d{1,2}-\d{1,2}$/.test(completed)) {
		const [month, day] = completed.split('-');
		completed = `${localStart.toFormat('yyyy')}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
		rollOver = { years: 1 };
	}
	else if (TIME_ONLY.test(completed.replace(/\s+(UTC|GMT|Z)$/i, '').replace(/[+-]\d{2}:?\d{2}$/, ''))) completed = `${localStart.toFormat('yyyy-MM-dd')} ${completed}`;
	const endZone = start.value.offset === 'Z' ? 'UTC' : `UTC${start.value.offset}`;
	const end = parseInstant(completed, now, endZone);
	if (!end.ok) return { ok: false, error: `cannot read the end of "${whole}": ${end.error}` };
	let until = DateTime.fromISO(end.value.iso, { zone: 'UTC' }).plus(UNIT[end.value.precision]);
	if (until.toMillis() <= Date.parse(start.value.iso) && (rollOver.months || rollOver.years)) until = until.plus(rollOver);
	if (until.toMillis() <= Date.parse(start.value.iso)) return { ok: false, error: `"${whole}" ends before it starts` };
	return { ok: true, value: { ...start.value, until: until.toISO() ?? undefined } };
}

const UNIT: Record<Precision, { days?: number; hours?: number; minutes?: number; seconds?: number }> = {
	day: { days: 1 },
	hour: { hours: 1 },
	minute: { minutes: 1 },
	exact: { seconds: 0 }
};

function parseInstant(input: string, now: Date, defaultZone: string): OccurredAtResult {
	const text = input.trim();
	if (text === '') return { ok: true, value: fromDateTime(DateTime.fromJSDate(now).setZone(defaultZone), 'exact') };

	const rfc = DateTime.fromRFC2822(text, { setZone: true });
	if (rfc.isValid) return { ok: true, value: fromDateTime(rfc, rfcPrecision(text)) };
	const http = DateTime.fromHTTP(text, { setZone: true });
	if (http.isValid) return { ok: true, value: fromDateTime(http, 'exact') };

	let rest = text;
	let zone = defaultZone;
	let zoneGiven = false;
	const named = ZONE_SUFFIX.exec(rest);
	const numeric = NUMERIC_OFFSET.exec(rest);
	const iana = IANA_SUFFIX.exec(rest);
	const abbreviation = ABBREVIATION_SUFFIX.exec(rest);
	if (named) {
		zone = 'UTC';
		zoneGiven = true;
		rest = rest.slice(0, named.index);
	} else if (/\dZ$/i.test(rest)) {
		zone = 'UTC';
		zoneGiven = true;
		rest = rest.slice(0, -1);
	} else if (numeric && /\d[T\s]?\d{1,2}:\d{2}/.test(rest.slice(0, numeric.index) + ' ')) {
		zone = `UTC${numeric[1]}${numeric[2]}:${numeric[3]}`;
		zoneGiven = true;
		rest = rest.slice(0, numeric.index);
	} else if (abbreviation && Object.hasOwn(ABBREVIATIONS, abbreviation[1])) {
		zone = `UTC${ABBREVIATIONS[abbreviation[1]]}`;
		zoneGiven = true;
		rest = rest.slice(0, abbreviation.index);
	} else if (abbreviation && /\d$/.test(rest.slice(0, abbreviation.index))) {
		return {
			ok: false,
			error: `"${abbreviation[1]}" is not a zone abbreviation Vigiles reads (some mean more than one zone); write the offset, e.g. ${rest.slice(0, abbreviation.index).trim()} +05:30, or a zone name such as Asia/Kolkata`
		};
	} else if (iana) {
		zone = iana[1];
		zoneGiven = true;
		rest = rest.slice(0, iana.index);
		if (!DateTime.now().setZone(zone).isValid) return { ok: false, error: `unknown time zone "${zone}"` };
	}
	rest = rest.trim();

	const timeOnly = TIME_ONLY.exec(rest);
	if (timeOnly) {
		const today = DateTime.fromJSDate(now).setZone(zone);
		const parsed = today.set({
			hour: Number(timeOnly[1]),
			minute: Number(timeOnly[2]),
			second: timeOnly[3] ? Number(timeOnly[3]) : 0,
			millisecond: 0
		});
		if (!parsed.isValid || Number(timeOnly[1]) > 23 || Number(timeOnly[2]) > 59) {
			return { ok: false, error: `"${input.trim()}" is not a time of day` };
		}
		const sameDay = parsed.toMillis() - now.getTime() > FUTURE_SLACK_MS ? parsed.minus({ days: 1 }) : parsed;
		return { ok: true, value: fromDateTime(sameDay, timeOnly[3] ? 'exact' : 'minute') };
	}

	const iso = rest.replace(/^(\d{4}-\d{2}-\d{2})\s+(?=\d)/, '$1T');
	const parsed = DateTime.fromISO(iso, { zone, setZone: zoneGiven });
	if (!parsed.isValid) {
		return {
			ok: false,
			error: `cannot read "${input.trim()}" as a time; try 2018-10-21 22:52 UTC or 22:52+02:00`
		};
	}
	return { ok: true, value: fromDateTime(parsed, isoPrecision(iso)) };
}

/** True when `iso` is more than FUTURE_SLACK_MS after `now`: worth a warning before it is added. */
export function isInFuture(iso: string, now: Date): boolean {
	return Date.parse(iso) - now.getTime() > FUTURE_SLACK_MS;
}

function isoPrecision(iso: string): Precision {
	const time = iso.split('T')[1];
	if (time === undefined) return 'day';
	const parts = time.split(':');
	if (parts.length === 1) return 'hour';
	if (parts.length === 2) return 'minute';
	return 'exact';
}

function rfcPrecision(text: string): Precision {
	return /\d{1,2}:\d{2}:\d{2}/.test(text) ? 'exact' : 'minute';
}

function fromDateTime(dt: DateTime, precision: Precision): OccurredAt {
	const offsetMinutes = dt.offset;
	return {
		iso: dt.toUTC().toISO({ suppressMilliseconds: false }) ?? dt.toUTC().toString(),
		offset: offsetMinutes === 0 ? 'Z' : formatOffset(offsetMinutes),
		...(dt.zone.type === 'iana' && dt.zoneName ? { zone: dt.zoneName } : {}),
		precision
	};
}

function formatOffset(minutes: number): string {
	const sign = minutes < 0 ? '-' : '+';
	const abs = Math.abs(minutes);
	return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** `2018-10-21 22:52 UTC` (seconds shown only for exact times). */
export function formatUtc(iso: string, precision: Precision = 'exact'): string {
	const dt = DateTime.fromISO(iso, { zone: 'UTC' });
	if (!dt.isValid) return iso;
	return `${dt.toFormat(formatFor(precision))} UTC`;
}

/** The same instant in `zone`, with the zone's abbreviation or offset. */
export function formatInZone(iso: string, zone: string, precision: Precision = 'exact'): string {
	const dt = DateTime.fromISO(iso, { zone: 'UTC' }).setZone(zone);
	if (!dt.isValid) return iso;
	return `${dt.toFormat(formatFor(precision))} ${dt.toFormat('ZZZZ')}`;
}

function formatFor(precision: Precision): string {
	switch (precision) {
		case 'day':
			return 'yyyy-MM-dd';
		case 'hour':
			return "yyyy-MM-dd HH'h'";
		case 'minute':
			return 'yyyy-MM-dd HH:mm';
		case 'exact':
			return 'yyyy-MM-dd HH:mm:ss';
	}
}
