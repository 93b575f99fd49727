/**
 * The room as plain data: what the document holds at one moment (meta, timeline, notes,
 * checklist, follow-ups). The server reads it to judge closing gates, to answer
 * `GET /api/incidents/:id/state?seq=N` (the room as it was after row N), and to write exports.
 */
import type * as Y from 'yjs';
import {
	notesText,
	readChecklist,
	readEntries,
	readFollowUps,
	readMeta,
	type ChecklistItemView,
	type EntryView,
	type FollowUpView,
	type IncidentMeta
} from './doc-schema';
import { sortTimeline } from './timeline-order';

export interface RoomState {
	meta: IncidentMeta;
	/** By occurred-at, then id (the log order is not known here; see sortTimeline with provenance). */
	entries: EntryView[];
	notes: string;
	checklist: ChecklistItemView[];
	followUps: FollowUpView[];
}

export function readRoomState(doc: Y.Doc): RoomState {
	return {
		meta: readMeta(doc),
		entries: sortTimeline(readEntries(doc), () => undefined),
		notes: notesText(doc).toString(),
		checklist: readChecklist(doc),
		followUps: readFollowUps(doc)
	};
}
