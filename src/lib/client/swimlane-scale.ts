/**
 * The swimlane picture's arithmetic (Swimlane.svelte draws it): the visible time window and how
 * it zooms and pans, where the ticks go, and where each entry sits in its lane.
 *
 * One picture must serve an intrusion reconstructed over weeks to the day (CircleCI 2023) and an
 * outage logged to the minute over a night (GitHub 2018), so nothing here assumes a scale: the
 * window fits the entries, zooming is limited only by MIN_WINDOW_MS and by a window many times
 * wider than everything, and the tick step is picked from minutes to months for the width.
 */
import { DateTime } from 'luxon';
import type { EntryView, Lane, Milestone } from '$lib/shared/doc-schema';
import { entryInterval } from './entry-when';

/** A time window in milliseconds since the epoch; `end` > `start`. */
export interface TimeWindow {
	start: number;
	end: number;
}

export interface SwimItem {
	id: string;
	lane: Lane;
	start: number;
	end: number;
	span: boolean;
	milestone: Milestone | null;
}

export interface PlacedItem extends SwimItem {
	/** Pixel x of the start, and of the end (equal for a point). */
	x: number;
	x2: number;
	/** Row inside the lane, 0 at the top: items that would overlap go to separate rows. */
	row: number;
}

/** Zooming in stops at a window this narrow. */
export const MIN_WINDOW_MS = 60_000;
/** A lone point, or points all at one instant, get this much room around them. */
const LONE_PAD_MS = 30 * 60_000;
/** Room at each side of the fitted window, as a fraction of it. */
const FIT_PAD = 0.04;
/** Zooming out stops at this many times the fitted window. */
const MAX_ZOOM_OUT = 8;

export function swimItems(entries: readonly EntryView[]): SwimItem[] {
	return entries.map((entry) => {
		const { start, end, span } = entryInterval(entry);
		return { id: entry.id, lane: entry.lane, start, end, span, milestone: entry.milestone };
	});
}

/** The window that shows every item with a little room at each side; null when there are none. */
export function fitWindow(items: readonly Pick<SwimItem, 'start' | 'end'>[]): TimeWindow | null {
	if (items.length === 0) return null;
	let start = Infinity;
	let end = -Infinity;
	for (const item of items) {
		start = Math.min(start, item.start);
		end = Math.max(end, item.end);
	}
	if (end - start < MIN_WINDOW_MS) return { start: start - LONE_PAD_MS, end: end + LONE_PAD_MS };
	const pad = (end - start) * FIT_PAD;
	return { start: start - pad, end: end + pad };
}

/**
 * Zooms by `factor` (below 1 zooms in) keeping the instant under `anchor` (0 = left edge, 1 =
 * right edge) where it is. `fit` bounds zooming out.
 */
export function zoomWindow(view: TimeWindow, factor: number, anchor = 0.5, fit: TimeWindow | null = null): TimeWindow {
	const width = view.end - view.start;
	const maxWidth = fit ? Math.max((fit.end - fit.start) * MAX_ZOOM_OUT, MIN_WINDOW_MS) : Infinity;
	const next = Math.min(Math.max(width * factor, MIN_WINDOW_MS), maxWidth);
	const pivot = view.start + width * clamp(anchor, 0, 1);
	const start = pivot - (pivot - view.start) * (next / width);
	return { start, end: start + next };
}

/** Moves the window by `fraction` of its width (negative: earlier). */
export function panWindow(view: TimeWindow, fraction: number): TimeWindow {
	const shift = (view.end - view.start) * fraction;
	return { start: view.start + shift, end: view.end + shift };
}

/** Centres the window on `at`, keeping its width. */
export function centreWindow(view: TimeWindow, at: number): TimeWindow {
	const half = (view.end - view.start) / 2;
	return { start: at - half, end: at + half };
}

export function xOf(view: TimeWindow, width: number, at: number): number {
	return ((at - view.start) / (view.end - view.start)) * width;
}

interface TickStep {
	ms: number;
	unit: 'minute' | 'hour' | 'day' | 'month';
	count: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS: TickStep[] = [
	{ ms: MINUTE, unit: 'minute', count: 1 },
	{ ms: 5 * MINUTE, unit: 'minute', count: 5 },
	{ ms: 10 * MINUTE, unit: 'minute', count: 10 },
	{ ms: 15 * MINUTE, unit: 'minute', count: 15 },
	{ ms: 30 * MINUTE, unit: 'minute', count: 30 },
	{ ms: HOUR, unit: 'hour', count: 1 },
	{ ms: 2 * HOUR, unit: 'hour', count: 2 },
	{ ms: 3 * HOUR, unit: 'hour', count: 3 },
	{ ms: 6 * HOUR, unit: 'hour', count: 6 },
	{ ms: 12 * HOUR, unit: 'hour', count: 12 },
	{ ms: DAY, unit: 'day', count: 1 },
	{ ms: 2 * DAY, unit: 'day', count: 2 },
	{ ms: 7 * DAY, unit: 'day', count: 7 },
	{ ms: 14 * DAY, unit: 'day', count: 14 },
	{ ms: 30 * DAY, unit: 'month', count: 1 },
	{ ms: 91 * DAY, unit: 'month', count: 3 },
	{ ms: 365 * DAY, unit: 'month', count: 12 }
];

export interface Tick {
	at: number;
	/** "22:00", or the date where a new UTC day begins ("21 Oct"), or "Dec 2022" for months. */
	label: string;
	/** A new day (or month) begins here: drawn stronger. */
	major: boolean;
}

/** The smallest step that leaves at least `minSpacingPx` between ticks. */
export function tickStep(view: TimeWindow, width: number, minSpacingPx = 80): TickStep {
	const msPerPx = (view.end - view.start) / Math.max(width, 1);
	return STEPS.find((step) => step.ms / msPerPx >= minSpacingPx) ?? STEPS[STEPS.length - 1];
}

/** Ticks on round UTC times inside the window. */
export function timeTicks(view: TimeWindow, width: number, minSpacingPx = 80): Tick[] {
	const step = tickStep(view, width, minSpacingPx);
	const ticks: Tick[] = [];
	let at = firstTick(view.start, step);
	for (let guard = 0; at.toMillis() <= view.end && guard < 500; guard++) {
		const ms = at.toMillis();
		if (ms >= view.start) ticks.push({ at: ms, ...tickLabel(at, step) });
		at = at.plus({ [`${step.unit}s`]: step.count });
	}
	return ticks;
}

function firstTick(from: number, step: TickStep): DateTime {
	const dt = DateTime.fromMillis(from, { zone: 'UTC' });
	if (step.unit === 'month') {
		const start = dt.startOf('month');
		const month = Math.floor((start.month - 1) / step.count) * step.count + 1;
		return start.set({ month });
	}
	if (step.unit === 'day') {
		if (step.count === 7 || step.count === 14) return dt.startOf('week');
		return dt.startOf('day');
	}
	const unitStart = dt.startOf(step.unit === 'hour' ? 'day' : 'hour');
	const steps = Math.floor((from - unitStart.toMillis()) / step.ms);
	return unitStart.plus({ milliseconds: steps * step.ms });
}

function tickLabel(at: DateTime, step: TickStep): { label: string; major: boolean } {
	if (step.unit === 'month') return { label: at.toFormat(at.month === 1 || step.count === 12 ? 'LLL yyyy' : 'LLL'), major: at.month === 1 };
	if (step.unit === 'day') return { label: at.toFormat(at.day === 1 || at.ordinal === 1 ? 'd LLL yyyy' : 'd LLL'), major: at.day === 1 };
	const midnight = at.hour === 0 && at.minute === 0;
	return { label: midnight ? at.toFormat('d LLL') : at.toFormat('HH:mm'), major: midnight };
}

/**
 * Places the items in pixels and gives each a row in its lane so that nothing overlaps: greedy,
 * earliest first, into the first row whose last item ends `gapPx` before this one starts. A
 * point is `pointPx` wide for this purpose.
 */
export function placeItems(items: readonly SwimItem[], view: TimeWindow, width: number, gapPx = 4, pointPx = 10): PlacedItem[] {
	const placed: PlacedItem[] = [];
	const rowEnds: Record<Lane, number[]> = { intrusion: [], response: [] };
	const sorted = [...items].sort((a, b) => a.start - b.start || b.end - a.end || (a.id < b.id ? -1 : 1));
	for (const item of sorted) {
		const x = xOf(view, width, item.start);
		const x2 = item.span ? Math.max(xOf(view, width, item.end), x + 2) : x;
		const left = item.span ? x : x - pointPx / 2;
		const right = item.span ? x2 : x + pointPx / 2;
		const ends = rowEnds[item.lane];
		let row = ends.findIndex((end) => end + gapPx <= left);
		if (row === -1) row = ends.length;
		ends[row] = right;
		placed.push({ ...item, x, x2, row });
	}
	return placed;
}

/** How many rows each lane needs (at least one). */
export function laneRows(placed: readonly PlacedItem[]): Record<Lane, number> {
	const rows: Record<Lane, number> = { intrusion: 1, response: 1 };
	for (const item of placed) rows[item.lane] = Math.max(rows[item.lane], item.row + 1);
	return rows;
}

/** The earliest entry marked as the detection moment, or null. */
export function detectionAt(items: readonly SwimItem[]): number | null {
	let at: number | null = null;
	for (const item of items) if (item.milestone === 'detected' && (at === null || item.start < at)) at = item.start;
	return at;
}

function clamp(value: number, min: number, max: number): number {
	return Math.min(Math.max(value, min), max);
}
