/**
 * The figures a review asks for, computed from the timeline's lanes and milestones.
 *   Security: dwell time (the intrusion's first activity → detection), time to contain
 *   (detection → contained), time to recover (detection → recovered).
 *   Outage: time to detect, to mitigate and to resolve, each from the start of impact.
 * Each figure says which entries it runs between and how precisely they are known: a figure
 * between day-precision entries is good to a day, and says so.
 */
import type { EntryView, Milestone, Precision } from './doc-schema';
import type { IncidentKind } from './incident-kinds';

export interface Figure {
	key: 'dwell' | 'contain' | 'recover' | 'detect' | 'mitigate' | 'resolve';
	label: string;
	from: { at: string; entryId: string } | null;
	to: { at: string; entryId: string } | null;
	/** Milliseconds, or null when an end is not recorded yet. */
	ms: number | null;
	/** The coarser precision of the two ends. */
	precision: Precision | null;
}

const ORDER: Precision[] = ['exact', 'minute', 'hour', 'day'];

function earliest(entries: EntryView[], match: (entry: EntryView) => boolean): EntryView | null {
	let best: EntryView | null = null;
	for (const entry of entries) if (match(entry) && (!best || Date.parse(entry.occurredAt) < Date.parse(best.occurredAt))) best = entry;
	return best;
}

function milestone(entries: EntryView[], which: Milestone): EntryView | null {
	return earliest(entries, (entry) => entry.milestone === which);
}

function figure(key: Figure['key'], label: string, from: EntryView | null, to: EntryView | null): Figure {
	return {
		key,
		label,
		from: from ? { at: from.occurredAt, entryId: from.id } : null,
		to: to ? { at: to.occurredAt, entryId: to.id } : null,
		ms: from && to ? Date.parse(to.occurredAt) - Date.parse(from.occurredAt) : null,
		precision: from && to ? ORDER[Math.max(ORDER.indexOf(from.precision), ORDER.indexOf(to.precision))] : null
	};
}

export function incidentFigures(kind: IncidentKind, entries: EntryView[]): Figure[] {
	if (kind === 'security') {
		const intrusion = earliest(entries, (entry) => entry.lane === 'intrusion');
		const detected = milestone(entries, 'detected');
		return [
			figure('dwell', 'Dwell time', intrusion, detected),
			figure('contain', 'Time to contain', detected, milestone(entries, 'contained')),
			figure('recover', 'Time to recover', detected, milestone(entries, 'recovered'))
		];
	}
	const start = milestone(entries, 'impact-start') ?? earliest(entries, () => true);
	return [
		figure('detect', 'Time to detect', start, milestone(entries, 'detected')),
		figure('mitigate', 'Time to mitigate', start, milestone(entries, 'mitigated')),
		figure('resolve', 'Time to resolve', start, milestone(entries, 'resolved'))
	];
}

/**
 * "~13 d", "24 h 11 min", "2 min": hours up to two days, then days; "~" when the ends are known
 * only to the day or the hour.
 */
export function formatDuration(signedMs: number, precision: Precision | null = 'exact'): string {
	const approx = precision === 'day' || precision === 'hour' ? '~' : '';
	// Marks in the wrong order give a negative span: shown as one, its sign in front of the number.
	const sign = signedMs < 0 ? '−' : '';
	const ms = Math.abs(signedMs);
	if (precision === 'day') {
		const days = Math.round(ms / 86_400_000);
		// "~0 d" reads as nothing; between ends known to the day it is "under a day".
		return days === 0 ? 'under a day' : `${approx}${sign}${days} d`;
	}
	const minutes = Math.round(ms / 60_000);
	const days = minutes >= 2880 ? Math.floor(minutes / 1440) : 0;
	const hours = Math.floor((minutes - days * 1440) / 60);
	const mins = minutes % 60;
	const parts = [days ? `${days} d` : '', hours ? `${hours} h` : '', mins || (!days && !hours) ? `${mins} min` : ''].filter(Boolean);
	return `${approx}${sign}${parts.join(' ')}`;
}
