/**
 * The browser's client for the response records and the closing discipline (issue 5):
 * server/http/response-routes.ts and server/http/review-routes.ts. Kept apart from api.ts so the
 * room's core client stays small; every call still goes through `request`.
 */
import type { MissingGate } from '$lib/shared/close-gates';
import type { IncidentKind } from '$lib/shared/incident-kinds';
import type { EvidenceItem, IncidentRecords, RoleTerm } from '$lib/shared/records';
import type { RoomState } from '$lib/shared/room-state';
import { request, type Incident } from './api';

export interface CloseCheck {
	closed: boolean;
	ready: boolean;
	missing: MissingGate[];
}

export interface EvidenceInput {
	what: string;
	system: string;
	collectedBy?: string;
	acquiredAt: string;
	sha256: string;
	storedAt: string;
}

export interface ActionInput {
	action: string;
	system: string;
	note?: string;
	/** Going ahead without a capture: the reason. */
	override?: string;
}

/** `GET /api/incidents/:id/state?seq=N`: the room as it was right after row N. */
export interface StateAt {
	seq: number;
	at: string;
	headSeq: number;
	state: RoomState;
	records: IncidentRecords;
}

export interface SearchHit {
	incidentId: string;
	title: string;
	kind: IncidentKind;
	severity: number;
	closedAt: string;
	/** Plain text; matches wrapped in « ». Never HTML. */
	snippet: string;
	rank: number;
}

export interface TemplateItem {
	id?: string;
	label: string;
	capture?: boolean;
}

export interface ChecklistTemplate {
	kind: IncidentKind;
	items: TemplateItem[];
	updatedAt: string | null;
	/** True while no admin has saved one for this kind (the built-in list). */
	isDefault: boolean;
}

const path = (id: string) => `/api/incidents/${encodeURIComponent(id)}`;

export const responseApi = {
	records: (id: string) => request<IncidentRecords>('GET', `${path(id)}/records`, undefined, { allowUnauthenticated: true }),
	assignRole: (id: string, role: string, userId: string | null) =>
		request<{ role: string; holder: RoleTerm | null; changed: boolean }>('PUT', `${path(id)}/roles/${encodeURIComponent(role)}`, { userId }),
	addEvidence: (id: string, body: EvidenceInput) => request<{ item: EvidenceItem }>('POST', `${path(id)}/evidence`, body),
	transferEvidence: (id: string, evidenceId: string, body: { to: string; why: string; at?: string }) =>
		request<{ item: EvidenceItem }>('POST', `${path(id)}/evidence/${encodeURIComponent(evidenceId)}/transfers`, body),
	sealEvidence: (id: string, evidenceId: string, sha256: string) =>
		request<{ item: EvidenceItem }>('POST', `${path(id)}/evidence/${encodeURIComponent(evidenceId)}/seal`, { sha256 }),
	takeAction: (id: string, body: ActionInput) =>
		request<{ seq: number; captured: boolean; override: string | null }>('POST', `${path(id)}/actions`, body),
	closeCheck: (id: string, credentialsRotated: boolean) =>
		request<CloseCheck>('GET', `${path(id)}/close-check${credentialsRotated ? '?credentialsRotated=true' : ''}`, undefined, { allowUnauthenticated: true }),
	close: (id: string, credentialsRotated: boolean) => request<{ incident: Incident }>('POST', `${path(id)}/close`, { credentialsRotated }),
	escalate: (id: string, reason: string, keep: string[]) => request<{ incident: Incident }>('POST', `${path(id)}/escalate`, { reason, keep }),
	reopen: (id: string, reason: string) => request<{ incident: Incident }>('POST', `${path(id)}/reopen`, { reason }),
	stateAt: (id: string, seq: number) => request<StateAt>('GET', `${path(id)}/state?seq=${seq}`),
	search: (q: string) => request<{ query: string; results: SearchHit[] }>('GET', `/api/search?q=${encodeURIComponent(q)}`),
	templates: () => request<{ templates: ChecklistTemplate[] }>('GET', '/api/checklist-templates'),
	saveTemplate: (kind: IncidentKind, items: TemplateItem[]) =>
		request<ChecklistTemplate>('PUT', `/api/checklist-templates/${encodeURIComponent(kind)}`, { items }),
	postmortemUrl: (id: string) => `${path(id)}/postmortem.md`,
	timelineCsvUrl: (id: string) => `${path(id)}/timeline.csv`
};
