/**
 * The order the room shows entries in: by occurred-at, ties broken by log order (the seq of the
 * row that added the entry). Entries the log has not confirmed yet sort after confirmed ones at
 * the same instant; the entry id makes the order total so every viewer agrees.
 */
import type { EntryView } from './doc-schema';

export function sortTimeline<T extends Pick<EntryView, 'id' | 'occurredAt'>>(
	entries: readonly T[],
	addedSeq: (entryId: string) => number | undefined
): T[] {
	const keyed = entries.map((entry) => ({
		entry,
		time: Date.parse(entry.occurredAt),
		seq: addedSeq(entry.id) ?? Number.POSITIVE_INFINITY
	}));
	keyed.sort((a, b) => a.time - b.time || a.seq - b.seq || (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0));
	return keyed.map((k) => k.entry);
}
