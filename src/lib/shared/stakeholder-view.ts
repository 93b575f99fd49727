/**
 * What a stakeholder link shows: the incident's header, the stakeholder summary, and the
 * timeline entries responders marked "shared with stakeholders". The server builds it from the
 * document (a projection); internal entries, notes and comments are never in it, so they never
 * cross the wire to a link.
 */
import type * as Y from 'yjs';
import { readEntries, readMeta, type Precision } from './doc-schema';
import type { IncidentKind, Severity } from './incident-kinds';

export interface StakeholderEntry {
	id: string;
	text: string;
	occurredAt: string;
	occurredOffset: string;
	precision: Precision;
}

export interface StakeholderView {
	title: string;
	kind: IncidentKind;
	severity: Severity;
	status: string;
	summary: string;
	entries: StakeholderEntry[];
}

export function stakeholderView(doc: Y.Doc): StakeholderView {
	const meta = readMeta(doc);
	const entries = readEntries(doc)
		.filter((entry) => entry.shared)
		.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
		.map(({ id, text, occurredAt, occurredOffset, precision }) => ({ id, text, occurredAt, occurredOffset, precision }));
	return { title: meta.title, kind: meta.kind, severity: meta.severity, status: meta.status, summary: meta.summary, entries };
}
