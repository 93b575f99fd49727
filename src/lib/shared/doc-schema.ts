/**
 * The incident document: the one Y.Doc per incident that responders edit together.
 * Used by the browser (to read and write) and by the server (to describe changes for the log).
 * docs/document-schema.md explains it for users of the stock y-websocket client; keep both in step.
 *
 * Every reader here is defensive: a client can write any value into a Y.Map, so a reader returns
 * a well-typed view and drops what does not fit rather than trusting the shape.
 */
import * as Y from 'yjs';
import { initialStatus, isIncidentKind, isSeverity, type IncidentKind, type Severity } from './incident-kinds';

/** Names of the root types. Nothing else belongs at the root. */
export const ROOTS = {
	meta: 'meta',
	entries: 'entries',
	notes: 'notes',
	checklist: 'checklist',
	followUps: 'followUps'
} as const;

/** Keys of the `meta` map. */
/**
 * `summary` is the stakeholder summary (and the impact summary an outage closes with); `cause` is
 * the cause found (or "unknown"), asked for when an outage closes and never shown to stakeholders.
 */
export const META_FIELDS = ['title', 'kind', 'severity', 'status', 'summary', 'cause'] as const;
export type MetaField = (typeof META_FIELDS)[number];

export const LANES = ['response', 'intrusion'] as const;
export type Lane = (typeof LANES)[number];

/** How exactly an entry's occurred-at is known. */
export const PRECISIONS = ['exact', 'minute', 'hour', 'day'] as const;
export type Precision = (typeof PRECISIONS)[number];

/**
 * The moments the figures are measured between, marked on the entry that records each.
 * Outage: impact began, detected, mitigated, resolved. Security: detected, contained,
 * recovered (the intrusion's start is the earliest entry in the intrusion lane).
 */
export const MILESTONES = {
	outage: ['impact-start', 'detected', 'mitigated', 'resolved'],
	security: ['detected', 'contained', 'recovered']
} as const;
export type Milestone = 'impact-start' | 'detected' | 'mitigated' | 'resolved' | 'contained' | 'recovered';

export const MILESTONE_LABELS: Record<Milestone, string> = {
	'impact-start': 'Impact began',
	detected: 'Detected',
	mitigated: 'Mitigated',
	resolved: 'Resolved',
	contained: 'Contained',
	recovered: 'Recovered'
};
const ALL_MILESTONES: readonly string[] = [...MILESTONES.outage, ...MILESTONES.security];

export interface IncidentMeta {
	title: string;
	kind: IncidentKind;
	severity: Severity;
	status: string;
	/** A short summary for stakeholders. */
	summary: string;
	/** What caused it, or "unknown" (then follow-ups must say how to find out). */
	cause: string;
}

export interface AnnotationView {
	id: string;
	text: string;
	/** The writer's clock when they wrote it (ISO 8601), not the server's. */
	writtenAt: string | null;
}

export interface EntryView {
	id: string;
	text: string;
	/** When it happened, ISO 8601 in UTC. */
	occurredAt: string;
	/** The UTC offset the time was given in, as `+02:00` or `Z`. */
	occurredOffset: string;
	/** The named zone it was given in (`America/New_York`), when it was given in one; else null. */
	occurredZone: string | null;
	precision: Precision;
	/** For a span ("2022-12-16..19"): when it ended (exclusive, ISO 8601 in UTC); else null. */
	occurredUntil: string | null;
	lane: Lane;
	shared: boolean;
	/** The moment this entry marks, if any (see MILESTONES). */
	milestone: Milestone | null;
	/** The writer's clock when they added it (ISO 8601), not the server's. */
	writtenAt: string | null;
	annotations: AnnotationView[];
}

export interface EntryInit {
	id: string;
	text: string;
	occurredAt: string;
	occurredOffset: string;
	occurredZone?: string | null;
	precision: Precision;
	occurredUntil?: string | null;
	lane?: Lane;
	shared?: boolean;
	milestone?: Milestone | null;
	writtenAt: string;
}

export function metaMap(doc: Y.Doc): Y.Map<unknown> {
	return doc.getMap(ROOTS.meta);
}

export function entriesMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
	return doc.getMap(ROOTS.entries);
}

export function notesText(doc: Y.Doc): Y.Text {
	return doc.getText(ROOTS.notes);
}

/** Fills a fresh document with an incident's opening state. */
export function writeInitialMeta(
	doc: Y.Doc,
	init: { title: string; kind: IncidentKind; severity: Severity; status?: string; checklist?: ChecklistTemplateItem[] }
): void {
	doc.transact(() => {
		const meta = metaMap(doc);
		meta.set('title', init.title);
		meta.set('kind', init.kind);
		meta.set('severity', init.severity);
		meta.set('status', init.status ?? initialStatus(init.kind));
		meta.set('summary', '');
		(init.checklist ?? []).forEach((item, index) => {
			const row = new Y.Map<unknown>();
			row.set('label', item.label);
			row.set('order', index);
			row.set('done', false);
			if (item.capture) row.set('capture', true);
			checklistMap(doc).set(item.id, row);
		});
	});
}

/** A checklist item as templates define it (admins edit the templates per kind). */
export interface ChecklistTemplateItem {
	id: string;
	label: string;
	/** Capturing state (memory, disk, logs): destructive steps warn until a capture is recorded. */
	capture?: boolean;
}

export interface ChecklistItemView {
	id: string;
	label: string;
	done: boolean;
	order: number;
	capture: boolean;
	/** Why this step was skipped (an item is complete when done or when it has an exception). */
	exception: string | null;
}

/** A follow-up action: what to do and who owns it. */
export interface FollowUpView {
	id: string;
	text: string;
	owner: string;
	done: boolean;
	order: number;
}

/** The follow-up actions, keyed by id; each is a Y.Map with text, owner, done, order. */
export function followUpsMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
	return doc.getMap(ROOTS.followUps);
}

export function addFollowUp(doc: Y.Doc, init: { id: string; text: string; owner: string }): void {
	doc.transact(() => {
		const row = new Y.Map<unknown>();
		row.set('text', init.text);
		row.set('owner', init.owner);
		row.set('done', false);
		row.set('order', Date.now());
		followUpsMap(doc).set(init.id, row);
	});
}

export function readFollowUps(doc: Y.Doc): FollowUpView[] {
	const items: FollowUpView[] = [];
	followUpsMap(doc).forEach((value, id) => {
		if (!(value instanceof Y.Map)) return;
		const text = value.get('text');
		if (typeof text !== 'string') return;
		const order = value.get('order');
		items.push({ id, text, owner: stringOr(value.get('owner'), ''), done: value.get('done') === true, order: typeof order === 'number' ? order : 0 });
	});
	return items.sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : 1));
}

/** The incident's checklist (containment steps first for security incidents), keyed by item id. */
export function checklistMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
	return doc.getMap(ROOTS.checklist);
}

export function readChecklist(doc: Y.Doc): ChecklistItemView[] {
	const items: ChecklistItemView[] = [];
	checklistMap(doc).forEach((value, id) => {
		if (!(value instanceof Y.Map)) return;
		const label = value.get('label');
		if (typeof label !== 'string') return;
		const order = value.get('order');
		const exception = value.get('exception');
		items.push({
			id,
			label,
			done: value.get('done') === true,
			order: typeof order === 'number' ? order : 0,
			capture: value.get('capture') === true,
			exception: typeof exception === 'string' && exception.trim() !== '' ? exception : null
		});
	});
	return items.sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : 1));
}

export function readMeta(doc: Y.Doc): IncidentMeta {
	const meta = metaMap(doc);
	const kind = meta.get('kind');
	const severity = meta.get('severity');
	const safeKind: IncidentKind = isIncidentKind(kind) ? kind : 'outage';
	const status = meta.get('status');
	return {
		title: stringOr(meta.get('title'), ''),
		kind: safeKind,
		severity: isSeverity(severity) ? severity : 4,
		status: typeof status === 'string' ? status : initialStatus(safeKind),
		summary: stringOr(meta.get('summary'), ''),
		cause: stringOr(meta.get('cause'), '')
	};
}

/** Adds an entry in one transaction, so the log records it as one change with its text. */
export function addEntry(doc: Y.Doc, init: EntryInit): void {
	doc.transact(() => {
		const entry = new Y.Map<unknown>();
		entry.set('text', new Y.Text(init.text));
		entry.set('occurredAt', init.occurredAt);
		entry.set('occurredOffset', init.occurredOffset);
		entry.set('precision', init.precision);
		entry.set('lane', init.lane ?? 'response');
		entry.set('shared', init.shared ?? false);
		if (init.occurredUntil) entry.set('occurredUntil', init.occurredUntil);
		if (init.occurredZone) entry.set('occurredZone', init.occurredZone);
		if (init.milestone) entry.set('milestone', init.milestone);
		entry.set('writtenAt', init.writtenAt);
		entry.set('annotations', new Y.Array<Y.Map<unknown>>());
		entriesMap(doc).set(init.id, entry);
	});
}

export function addAnnotation(
	doc: Y.Doc,
	entryId: string,
	annotation: { id: string; text: string; writtenAt: string }
): boolean {
	const entry = entriesMap(doc).get(entryId);
	const list = entry instanceof Y.Map ? entry.get('annotations') : undefined;
	if (!(list instanceof Y.Array)) return false;
	const item = new Y.Map<unknown>();
	doc.transact(() => {
		item.set('id', annotation.id);
		item.set('text', annotation.text);
		item.set('writtenAt', annotation.writtenAt);
		list.push([item]);
	});
	return true;
}

/** A UTC offset as written ("Z", "+05:30"); anything else a client wrote reads as "Z". */
function offsetOr(value: unknown): string {
	return isUtcOffset(value) ? value : 'Z';
}

/** "Z" or ±hh:mm within the offsets clocks use (−12:00 to +14:00, minutes under 60). */
export function isUtcOffset(value: unknown): value is string {
	if (value === 'Z') return true;
	const match = typeof value === 'string' ? /^([+-])(\d{2}):(\d{2})$/.exec(value) : null;
	if (match === null || Number(match[3]) >= 60) return false;
	return Number(match[2]) * 60 + Number(match[3]) <= (match[1] === '+' ? 14 : 12) * 60;
}

export function readEntry(id: string, value: unknown): EntryView | null {
	if (!(value instanceof Y.Map)) return null;
	const text = value.get('text');
	const occurredAt = value.get('occurredAt');
	if (!(text instanceof Y.Text) || !isIsoInstant(occurredAt)) return null;
	const precision = value.get('precision');
	const lane = value.get('lane');
	const until = value.get('occurredUntil');
	const milestone = value.get('milestone');
	const annotations = value.get('annotations');
	return {
		id,
		text: text.toString(),
		occurredAt,
		occurredOffset: offsetOr(value.get('occurredOffset')),
		occurredZone: zoneOrNull(value.get('occurredZone')),
		precision: (PRECISIONS as readonly unknown[]).includes(precision) ? (precision as Precision) : 'exact',
		occurredUntil: isIsoInstant(until) && Date.parse(until) > Date.parse(occurredAt) ? until : null,
		lane: (LANES as readonly unknown[]).includes(lane) ? (lane as Lane) : 'response',
		shared: value.get('shared') === true,
		milestone: ALL_MILESTONES.includes(milestone as string) ? (milestone as Milestone) : null,
		writtenAt: isoOrNull(value.get('writtenAt')),
		annotations: annotations instanceof Y.Array ? readAnnotations(annotations) : []
	};
}

function readAnnotations(list: Y.Array<unknown>): AnnotationView[] {
	const out: AnnotationView[] = [];
	for (const item of list.toArray()) {
		if (!(item instanceof Y.Map)) continue;
		const id = item.get('id');
		const text = item.get('text');
		if (typeof id !== 'string' || typeof text !== 'string') continue;
		out.push({ id, text, writtenAt: isoOrNull(item.get('writtenAt')) });
	}
	return out;
}

/** All well-formed entries, in no particular order (see `timeline-order.ts`). */
export function readEntries(doc: Y.Doc): EntryView[] {
	const out: EntryView[] = [];
	entriesMap(doc).forEach((value, id) => {
		const entry = readEntry(id, value);
		if (entry) out.push(entry);
	});
	return out;
}

/** An IANA zone name as written by the schema's readers ("Area/Location"), else null. */
function zoneOrNull(value: unknown): string | null {
	return typeof value === 'string' && value.length <= 64 && /^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/.test(value) ? value : null;
}

function stringOr(value: unknown, fallback: string): string {
	return typeof value === 'string' ? value : fallback;
}

function isoOrNull(value: unknown): string | null {
	return isIsoInstant(value) ? value : null;
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * A full ISO 8601 instant with a real calendar date and an offset, as the schema asks
 * (`Date.parse` alone accepts "1" and rolls 2018-02-30 over into March).
 */
export function isIsoInstant(value: unknown): value is string {
	if (typeof value !== 'string') return false;
	const match = ISO_INSTANT.exec(value);
	if (!match || Number.isNaN(Date.parse(value))) return false;
	const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0));
	const date = new Date(Date.UTC(year, month - 1, day));
	const offset = /(Z|[+-]\d{2}:\d{2})$/.exec(value)?.[1];
	return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 61 && isUtcOffset(offset);
}

/**
 * A change the server makes to the document on a user's behalf (a command, the demo), described
 * as data so the room's document worker can make it on the staged state.
 */
export type ServerChange =
	| { type: 'entry.add'; entry: EntryInit }
	| { type: 'meta.set'; field: MetaField; value: string | number }
	| { type: 'checklist.toggle'; itemId: string; done: boolean }
	/** An outage becomes a security incident: its kind, its first phase and the containment steps. */
	| { type: 'incident.escalate'; status: string; checklist: ChecklistTemplateItem[] };

export function applyServerChange(doc: Y.Doc, change: ServerChange): void {
	switch (change.type) {
		case 'entry.add':
			addEntry(doc, change.entry);
			break;
		case 'meta.set':
			metaMap(doc).set(change.field, change.value);
			break;
		case 'checklist.toggle':
			checklistMap(doc).get(change.itemId)?.set('done', change.done);
			break;
		case 'incident.escalate':
			doc.transact(() => {
				metaMap(doc).set('kind', 'security');
				metaMap(doc).set('status', change.status);
				// Containment comes first: the steps go before what the outage's list held.
				const first = readChecklist(doc).reduce((min, item) => Math.min(min, item.order), 0);
				// Each step is written as the template has it, over anything already under its id
				// (the command picked ids free when it read the list; a client may have raced it).
				change.checklist.forEach((item, index) => {
					const row = new Y.Map<unknown>();
					row.set('label', item.label);
					row.set('order', first - change.checklist.length + index);
					row.set('done', false);
					if (item.capture) row.set('capture', true);
					checklistMap(doc).set(item.id, row);
				});
			});
			break;
	}
}
