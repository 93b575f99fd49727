/**
 * What the log's command rows add up to: the evidence register with its chain of custody, who
 * held each role when, the destructive steps taken (and any taken without a capture), and
 * whether the incident is closed. Folded from log events in seq order, so the same function
 * answers "now" (every row) and "as it was at seq N" (the rows up to N), on the server and in
 * the review page alike. Nothing here comes from the document, which clients can write.
 */
import type { Change } from './changes';

export interface RecordEvent {
	seq: number;
	at: string;
	actor: { id: string; name: string } | null;
	changes: Change[];
}

export interface CustodyStep {
	seq: number;
	/** When the holder changed hands, as the person recording it said. */
	at: string;
	/** When the server recorded it. */
	recordedAt: string;
	from: string;
	to: string;
	why: string;
	recordedBy: string | null;
}

export interface EvidenceItem {
	id: string;
	what: string;
	/** The system it was taken from. */
	system: string;
	collectedBy: string;
	acquiredAt: string;
	sha256: string;
	storedAt: string;
	registeredAt: string;
	registeredBy: string | null;
	registeredSeq: number;
	holder: string;
	custody: CustodyStep[];
	sealed: { seq: number; at: string; by: string | null } | null;
}

export interface RoleTerm {
	role: string;
	userId: string;
	name: string;
	from: string;
	fromSeq: number;
	/** When the term ended (handed over or unassigned), or null while it lasts. */
	until: string | null;
	assignedBy: string | null;
}

export interface ActionRecord {
	seq: number;
	at: string;
	by: string | null;
	action: string;
	system: string;
	note: string;
	override: string | null;
}

export interface IncidentRecords {
	evidence: EvidenceItem[];
	/** Every term of every role, oldest first. */
	roles: RoleTerm[];
	actions: ActionRecord[];
	closed: { seq: number; at: string; by: string | null; credentialsRotated: boolean } | null;
}

/** The log row types folded here (the server reads just these rows, through a partial index). */
export const RECORD_TYPES = ['evidence.added', 'evidence.transferred', 'evidence.sealed', 'role.assigned', 'action.taken', 'incident.closed', 'incident.reopened'] as const;

export const STANDARD_ROLES = ['commander', 'communications', 'scribe'] as const;

export const ROLE_LABELS: Record<string, string> = {
	commander: 'Incident commander',
	communications: 'Communications lead',
	scribe: 'Scribe'
};

export function roleLabel(role: string): string {
	if (Object.hasOwn(ROLE_LABELS, role)) return ROLE_LABELS[role];
	// Custom roles are stored in lower case ("forensics lead"); shown as a name.
	return role.charAt(0).toUpperCase() + role.slice(1);
}

export function foldRecords(events: Iterable<RecordEvent>): IncidentRecords {
	const evidence = new Map<string, EvidenceItem>();
	const roles: RoleTerm[] = [];
	const actions: ActionRecord[] = [];
	let closed: IncidentRecords['closed'] = null;
	for (const event of events) {
		const by = event.actor?.name ?? null;
		for (const change of event.changes) {
			switch (change.type) {
				case 'evidence.added':
					evidence.set(change.evidenceId, {
						id: change.evidenceId,
						what: change.what,
						system: change.system,
						collectedBy: change.collectedBy,
						acquiredAt: change.acquiredAt,
						sha256: change.sha256,
						storedAt: change.storedAt,
						registeredAt: event.at,
						registeredBy: by,
						registeredSeq: event.seq,
						holder: change.collectedBy,
						custody: [],
						sealed: null
					});
					break;
				case 'evidence.transferred': {
					const item = evidence.get(change.evidenceId);
					if (!item) break;
					item.custody.push({ seq: event.seq, at: change.at, recordedAt: event.at, from: change.from, to: change.to, why: change.why, recordedBy: by });
					item.holder = change.to;
					break;
				}
				case 'evidence.sealed': {
					const item = evidence.get(change.evidenceId);
					if (item) item.sealed = { seq: event.seq, at: event.at, by };
					break;
				}
				case 'role.assigned': {
					const current = roles.find((term) => term.role === change.role && term.until === null);
					if (current) current.until = event.at;
					if (change.userId !== null) {
						roles.push({ role: change.role, userId: change.userId, name: change.name ?? '', from: event.at, fromSeq: event.seq, until: null, assignedBy: by });
					}
					break;
				}
				case 'action.taken':
					actions.push({ seq: event.seq, at: event.at, by, action: change.action, system: change.system, note: change.note, override: change.override });
					break;
				case 'incident.closed':
					closed = { seq: event.seq, at: event.at, by, credentialsRotated: change.credentialsRotated };
					break;
				case 'incident.reopened':
					closed = null;
					break;
			}
		}
	}
	return { evidence: [...evidence.values()], roles, actions, closed };
}

/** What the incident's creation and escalation rows say (LogStore.originEvents). */
export interface IncidentOrigin {
	/** The checklist steps the server put in: the template at creation, containment at escalation. */
	required: { id: string; label: string }[];
	escalations: { seq: number; at: string; by: string | null; from: string; reason: string }[];
}

export function foldOrigin(events: Iterable<RecordEvent>): IncidentOrigin {
	const required = new Map<string, { id: string; label: string }>();
	const escalations: IncidentOrigin['escalations'] = [];
	for (const event of events) {
		for (const change of event.changes) {
			if (change.type !== 'incident.created' && change.type !== 'incident.escalated') continue;
			for (const step of change.checklist ?? []) required.set(step.id, { id: step.id, label: step.label });
			if (change.type === 'incident.escalated') {
				escalations.push({ seq: event.seq, at: event.at, by: event.actor?.name ?? null, from: change.from, reason: change.reason });
			}
		}
	}
	return { required: [...required.values()], escalations };
}

/** Who held `role` at instant `at` (ISO 8601), by the server's clock; null if nobody. */
export function holderAt(roles: readonly RoleTerm[], role: string, at: string): RoleTerm | null {
	const t = Date.parse(at);
	let found: RoleTerm | null = null;
	for (const term of roles) {
		if (term.role !== role) continue;
		if (Date.parse(term.from) <= t && (term.until === null || t < Date.parse(term.until))) found = term;
	}
	return found;
}

/** The systems a capture (an evidence item) has been recorded from, compared case-insensitively. */
export function hasCapture(evidence: readonly EvidenceItem[], system: string): boolean {
	const wanted = normalizeSystem(system);
	return evidence.some((item) => normalizeSystem(item.system) === wanted);
}

export function normalizeSystem(system: string): string {
	return system.trim().toLowerCase();
}

/** Steps that destroy evidence on the system they touch. */
export const DESTRUCTIVE_ACTIONS = ['restart', 'reimage', 'rollback', 'wipe'] as const;
