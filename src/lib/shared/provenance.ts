/**
 * Who added and who edited each entry and annotation, read from the log (never from fields in
 * the document, which any editor could write). The server builds it from stored rows for
 * `GET /api/incidents/:id/provenance`; the room keeps it current from live log events.
 */
import type { LogEvent } from './protocol';

export interface Actor {
	id: string;
	name: string;
}

export interface EntryProvenance {
	/** The seq of the log row that added the entry: the tiebreak for equal occurred-at. */
	addedSeq: number;
	/** When the server received the entry. */
	addedAt: string;
	addedBy: Actor | null;
	editedBy: Actor[];
	lastEditedAt: string | null;
}

export interface AnnotationProvenance {
	seq: number;
	at: string;
	by: Actor | null;
}

export interface Provenance {
	/** The highest seq folded in (not the incident's head: rows that touch no entry are skipped). */
	throughSeq: number;
	entries: Record<string, EntryProvenance>;
	annotations: Record<string, AnnotationProvenance>;
}

export function emptyProvenance(): Provenance {
	return { throughSeq: 0, entries: {}, annotations: {} };
}

/** Folds one log event in. Events at or below `throughSeq` are ignored, so replays are harmless. */
export function addEvent(provenance: Provenance, event: Pick<LogEvent, 'seq' | 'at' | 'actor' | 'changes'>): void {
	if (event.seq <= provenance.throughSeq) return;
	provenance.throughSeq = event.seq;
	for (const change of event.changes) {
		if (change.type === 'entry.added') {
			provenance.entries[change.entryId] = {
				addedSeq: event.seq,
				addedAt: event.at,
				addedBy: event.actor,
				editedBy: [],
				lastEditedAt: null
			};
		} else if (change.type === 'entry.edited') {
			const entry = provenance.entries[change.entryId];
			if (!entry) continue;
			entry.lastEditedAt = event.at;
			const actor = event.actor;
			if (actor && !entry.editedBy.some((a) => a.id === actor.id)) entry.editedBy.push(actor);
		} else if (change.type === 'annotation.added' && change.annotationId) {
			provenance.annotations[change.annotationId] = { seq: event.seq, at: event.at, by: event.actor };
		}
	}
}
