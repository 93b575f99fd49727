/**
 * The Log panel's lines: log events in words, with runs of keystroke edits folded into one line.
 *
 * Typing in the notes or in an entry's text is live, so the server logs one row per burst of
 * keystrokes. A person scanning the panel wants "Ann edited the notes ×12", not twelve rows that
 * push the rename and the severity change out of sight. Edits of the same thing (the notes, one
 * entry's text or fields, the comments of one entry) by the same person fold into one line, also
 * when someone else's edits are interleaved with them; anything else (an added entry, a severity
 * change, a checkpoint) is its own line and ends the runs before it, so the order of meaningful
 * events is kept.
 */
import { snippet, summarizeChanges, type Change } from '$lib/shared/changes';
import { severityLabel } from '$lib/shared/incident-kinds';
import type { LogEvent } from '$lib/shared/protocol';

export interface LogLine {
	/** Stable while the line grows: the seq of its first event. */
	key: number;
	firstSeq: number;
	lastSeq: number;
	/** When the server received the line's last event. */
	at: string;
	actor: LogEvent['actor'];
	/** How many events the line stands for. */
	count: number;
	text: string;
	/** The server's own summary of the last event, for a tooltip. */
	summary: string;
}

/** The current text of an entry, to name it by (ids mean nothing to a person). */
export type EntryTextOf = (entryId: string) => string | undefined;

/** Groups events (oldest first) into lines (oldest first, ordered by their last event). */
export function logLines(events: readonly LogEvent[], entryText: EntryTextOf): LogLine[] {
	const lines: (LogLine & { target: string | null; fields: Set<string> })[] = [];
	for (const event of events) {
		const target = editTarget(event.changes);
		if (target !== null) {
			const index = findRun(lines, target, event.actor?.id ?? null);
			if (index >= 0) {
				const [line] = lines.splice(index, 1);
				line.lastSeq = event.seq;
				line.at = event.at;
				line.count++;
				line.summary = event.summary;
				for (const field of editedFields(event.changes)) line.fields.add(field);
				line.text = describeEdit(target, line.fields, entryText);
				lines.push(line);
				continue;
			}
		}
		const fields = new Set(editedFields(event.changes));
		lines.push({
			key: event.seq,
			firstSeq: event.seq,
			lastSeq: event.seq,
			at: event.at,
			actor: event.actor,
			count: 1,
			text: target === null ? describeChanges(event, entryText) : describeEdit(target, fields, entryText),
			summary: event.summary,
			target,
			fields
		});
	}
	return lines.map(({ target: _target, fields: _fields, ...line }) => line);
}

/** The index of the run this edit joins: the latest edit line of the same thing by the same person. */
function findRun(lines: readonly { target: string | null; actor: LogEvent['actor'] }[], target: string, actorId: string | null): number {
	for (let i = lines.length - 1; i >= 0; i--) {
		const line = lines[i];
		if (line.target === null) return -1;
		if (line.target === target && (line.actor?.id ?? null) === actorId) return i;
	}
	return -1;
}

/** What an event edits, when it is nothing but edits of one thing; else null. */
function editTarget(changes: readonly Change[]): string | null {
	let target: string | null = null;
	for (const change of changes) {
		let thing: string;
		if (change.type === 'notes.edited') thing = 'notes';
		else if (change.type === 'entry.edited') thing = `entry:${change.entryId}`;
		else if (change.type === 'annotation.edited') thing = `comments:${change.entryId}`;
		else return null;
		if (target !== null && target !== thing) return null;
		target = thing;
	}
	return target;
}

function editedFields(changes: readonly Change[]): string[] {
	return changes.flatMap((c) => (c.type === 'entry.edited' ? c.fields : []));
}

function describeEdit(target: string, fields: ReadonlySet<string>, entryText: EntryTextOf): string {
	if (target === 'notes') return 'edited the notes';
	const [kind, ...rest] = target.split(':');
	const entryId = rest.join(':');
	if (kind === 'comments') return `edited a comment on ${entryName(entryId, entryText)}`;
	const other = [...fields].filter((f) => f !== 'text');
	return `edited ${entryName(entryId, entryText)}${other.length > 0 ? ` (${[...fields].join(', ')})` : ''}`;
}

function describeChanges(event: LogEvent, entryText: EntryTextOf): string {
	if (event.changes.length === 0) return event.summary;
	const parts = event.changes.slice(0, 5).map((change) => describeChange(change, entryText));
	if (event.changes.length > 5) parts.push(`and ${event.changes.length - 5} more change${event.changes.length === 6 ? '' : 's'}`);
	return parts.join('; ');
}

function describeChange(change: Change, entryText: EntryTextOf): string {
	switch (change.type) {
		case 'incident.created':
			return `created ${change.kind} incident "${snippet(change.title)}" (${severityLabel(change.severity)})`;
		case 'field.changed':
			return `${change.field}: ${showValue(change.field, change.from)} → ${showValue(change.field, change.to)}`;
		case 'entry.added':
			return `added entry "${change.text}"`;
		case 'entry.edited':
			return describeEdit(`entry:${change.entryId}`, new Set(change.fields), entryText);
		case 'entry.removed':
			return `removed ${entryName(change.entryId, entryText)}`;
		case 'annotation.added':
			return `commented on ${entryName(change.entryId, entryText)}: "${change.text}"`;
		case 'annotation.removed':
			return `removed a comment on ${entryName(change.entryId, entryText)}`;
		case 'annotation.edited':
			return `edited a comment on ${entryName(change.entryId, entryText)}`;
		case 'notes.edited':
			return 'edited the notes';
		case 'doc.changed':
			return 'changed the document outside the known schema';
		case 'checkpoint.signed':
			return `signed a checkpoint of the log through seq ${change.seq}`;
		case 'security.refused':
			return `refused a change: ${change.reason}`;
		default:
			// Server commands (membership, links, sharing) read the same as in the server's summary.
			return summarizeChanges([change]);
	}
}

function entryName(entryId: string, entryText: EntryTextOf): string {
	const text = entryText(entryId);
	return text === undefined ? `entry ${entryId}` : `entry "${snippet(text)}"`;
}

/** Severities read as SEV1…SEV4, the way the room shows them; other values quoted. */
function showValue(field: string, value: unknown): string {
	if (value === null || value === undefined) return '(none)';
	if (field === 'severity' && typeof value === 'number') return severityLabel(value);
	return `"${snippet(typeof value === 'string' ? value : JSON.stringify(value))}"`;
}
