/**
 * The review page's log filters: by actor, change type, lane (for rows about an entry), a time
 * range on when the server received the row, and free text. Pure, so the page only holds state.
 * Lanes are not in the log; the page passes the lane of each entry from the room's state.
 */
import type { Change } from '$lib/shared/changes';
import type { LogEvent } from '$lib/shared/protocol';

export interface LogFilter {
	/** An actor id, `server` for rows without an actor, or '' for everyone. */
	actor: string;
	/** A change type (`entry.added`), or '' for every type. */
	type: string;
	/** `response`, `intrusion`, or '' for all rows. A lane keeps only rows about entries in it. */
	lane: string;
	/** Inclusive bounds on the row's received-at, as epoch milliseconds; null for open. */
	from: number | null;
	to: number | null;
	text: string;
}

export const NO_FILTER: LogFilter = { actor: '', type: '', lane: '', from: null, to: null, text: '' };

/** The entry a change is about, if any. */
export function entryOf(change: Change): string | null {
	return 'entryId' in change && typeof change.entryId === 'string' ? change.entryId : null;
}

export function filterLog(events: readonly LogEvent[], filter: LogFilter, laneOf: (entryId: string) => string | undefined): LogEvent[] {
	const text = filter.text.trim().toLowerCase();
	return events.filter((event) => {
		if (filter.actor !== '' && (event.actor?.id ?? 'server') !== filter.actor) return false;
		if (filter.type !== '' && !event.changes.some((c) => c.type === filter.type) && event.type !== filter.type) return false;
		if (filter.lane !== '' && !event.changes.some((c) => {
			const entryId = entryOf(c);
			return entryId !== null && laneOf(entryId) === filter.lane;
		})) return false;
		const at = Date.parse(event.at);
		if (filter.from !== null && at < filter.from) return false;
		if (filter.to !== null && at > filter.to) return false;
		if (text !== '') {
			const haystack = `${event.summary} ${event.actor?.name ?? ''} ${event.type}`.toLowerCase();
			if (!haystack.includes(text)) return false;
		}
		return true;
	});
}

/** Everyone who appears in the log, for the actor filter (name order; the server last). */
export function actorsOf(events: readonly LogEvent[]): { id: string; name: string }[] {
	const byId = new Map<string, string>();
	let server = false;
	for (const event of events) {
		if (event.actor) byId.set(event.actor.id, event.actor.name);
		else server = true;
	}
	const people = [...byId].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
	return server ? [...people, { id: 'server', name: 'the server' }] : people;
}

/** The change types present in the log, sorted. */
export function typesOf(events: readonly LogEvent[]): string[] {
	const types = new Set<string>();
	for (const event of events) for (const change of event.changes) types.add(change.type);
	return [...types].sort();
}
