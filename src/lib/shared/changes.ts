/**
 * What an accepted update changed, in the incident's own terms. The server derives these from
 * each update it accepts and stores them with the log row (`changes`), and the row's `summary`
 * is `summarizeChanges(changes)`. The browser reads them to learn who added and edited what.
 * How they are derived from a Yjs transaction is in change-watcher.ts.
 *
 * Event names are `noun.verb` in the past tense.
 */

export type Change =
	| {
			type: 'incident.created';
			title: string;
			kind: string;
			severity: number;
			/** The checklist it started with (the closing gate of a security incident counts these steps). */
			checklist?: { id: string; label: string }[];
	  }
	| { type: 'incident.escalated'; from: string; status: string; reason: string; checklist: { id: string; label: string }[] }
	| { type: 'field.changed'; field: string; from: unknown; to: unknown }
	| { type: 'entry.added'; entryId: string; text: string }
	| { type: 'entry.edited'; entryId: string; fields: string[] }
	| { type: 'entry.removed'; entryId: string }
	| { type: 'annotation.added'; entryId: string; annotationId: string; text: string }
	| { type: 'annotation.removed'; entryId: string }
	| { type: 'annotation.edited'; entryId: string }
	| { type: 'notes.edited' }
	| { type: 'checklist.added'; itemId: string; label: string }
	| { type: 'checklist.toggled'; itemId: string; label: string; done: boolean }
	| { type: 'checklist.edited'; itemId: string }
	| { type: 'checklist.excepted'; itemId: string; label: string; reason: string | null }
	| { type: 'followup.added'; followUpId: string; text: string; owner: string }
	| { type: 'followup.edited'; followUpId: string }
	| { type: 'followup.removed'; followUpId: string }
	| { type: 'doc.changed' }
	| { type: 'checkpoint.signed'; seq: number; head: string; at: string; keyId: string; signature: string }
	| { type: 'security.refused'; reason: string; clientId?: number }
	| { type: 'member.added'; userId: string; name: string }
	| { type: 'member.removed'; userId: string; name: string }
	| { type: 'incident.restricted'; restricted: boolean }
	| { type: 'sharing.changed'; enabled: boolean }
	| { type: 'link.created'; linkId: string; label: string; expiresAt: string }
	| { type: 'link.revoked'; linkId: string; label: string }
	| { type: 'link.used'; linkId: string; label: string }
	| { type: 'role.assigned'; role: string; userId: string | null; name: string | null; previous: { userId: string; name: string } | null }
	| {
			type: 'evidence.added';
			evidenceId: string;
			what: string;
			system: string;
			collectedBy: string;
			acquiredAt: string;
			sha256: string;
			storedAt: string;
	  }
	| { type: 'evidence.transferred'; evidenceId: string; what: string; from: string; to: string; at: string; why: string }
	| { type: 'evidence.sealed'; evidenceId: string; what: string; sha256: string }
	| { type: 'action.taken'; action: string; system: string; note: string; override: string | null }
	| {
			type: 'incident.closed';
			kind: string;
			summary: string;
			credentialsRotated: boolean;
			exceptions: { itemId: string; label: string; reason: string }[];
	  }
	| { type: 'incident.reopened'; reason: string; status: string };

export type ChangeType = Change['type'];

const SNIPPET = 80;

/** NUL and unpaired surrogates, which Postgres text and jsonb refuse, become U+FFFD. */
export function storable(text: string): string {
	return text.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\ufffd');
}

export function snippet(text: string): string {
	const oneLine = storable(text).replace(/\s+/g, ' ').trim();
	return oneLine.length > SNIPPET ? `${oneLine.slice(0, SNIPPET - 1)}…` : oneLine;
}

/** The log row type for a set of changes: the one type they share, else `doc.updated`. */
export function rowTypeFor(changes: Change[]): string {
	if (changes.length === 0) return 'doc.changed';
	const first = changes[0].type;
	return changes.every((c) => c.type === first) ? first : 'doc.updated';
}

/** A short human summary, one clause per change. */
export function summarizeChanges(changes: Change[]): string {
	if (changes.length === 0) return 'changed the document outside the known schema';
	const parts = changes.slice(0, 5).map(describeChange);
	if (changes.length > 5) parts.push(`and ${changes.length - 5} more change${changes.length === 6 ? '' : 's'}`);
	return parts.join('; ');
}

function describeChange(change: Change): string {
	switch (change.type) {
		case 'incident.created':
			return `created ${change.kind} incident "${snippet(change.title)}" (SEV${change.severity})`;
		case 'field.changed':
			return `${change.field}: ${show(change.from)} → ${show(change.to)}`;
		case 'entry.added':
			return `added entry ${change.entryId}: "${change.text}"`;
		case 'entry.edited':
			return `edited entry ${change.entryId} (${change.fields.join(', ')})`;
		case 'entry.removed':
			return `removed entry ${change.entryId}`;
		case 'annotation.added':
			return `annotated entry ${change.entryId}: "${change.text}"`;
		case 'annotation.removed':
			return `removed an annotation on entry ${change.entryId}`;
		case 'annotation.edited':
			return `edited an annotation on entry ${change.entryId}`;
		case 'notes.edited':
			return 'edited the notes';
		case 'checklist.toggled':
			return `${change.done ? 'checked' : 'unchecked'} "${change.label}"`;
		case 'checklist.added':
			return `added checklist step "${change.label}"`;
		case 'checklist.edited':
			return `edited checklist item ${change.itemId}`;
		case 'checklist.excepted':
			return change.reason === null ? `withdrew the exception on "${change.label}"` : `skipped "${change.label}": ${change.reason}`;
		case 'followup.added':
			return `added follow-up "${change.text}"${change.owner ? ` (owner ${change.owner})` : ''}`;
		case 'followup.edited':
			return `edited follow-up ${change.followUpId}`;
		case 'followup.removed':
			return `removed follow-up ${change.followUpId}`;
		case 'doc.changed':
			return 'changed the document outside the known schema';
		case 'checkpoint.signed':
			return `signed checkpoint at seq ${change.seq}`;
		case 'security.refused':
			return `refused: ${change.reason}`;
		case 'member.added':
			return `added ${change.name} to the incident`;
		case 'member.removed':
			return `removed ${change.name} from the incident`;
		case 'incident.restricted':
			return change.restricted ? 'restricted the incident to its members' : 'opened the incident to every signed-in user';
		case 'sharing.changed':
			return change.enabled ? 'turned stakeholder links on' : 'turned stakeholder links off';
		case 'link.created':
			return `created stakeholder link "${snippet(change.label)}" (expires ${change.expiresAt})`;
		case 'link.revoked':
			return `revoked stakeholder link "${snippet(change.label)}"`;
		case 'link.used':
			return `stakeholder link "${snippet(change.label)}" was used for the first time`;
		case 'role.assigned':
			if (change.userId === null) return `left the ${change.role} role unassigned`;
			return change.previous
				? `handed ${change.role} from ${change.previous.name} to ${change.name}`
				: `made ${change.name} ${change.role}`;
		case 'evidence.added':
			return `registered evidence "${snippet(change.what)}" from ${snippet(change.system)} (SHA-256 ${change.sha256.slice(0, 12)}…)`;
		case 'evidence.transferred':
			return `handed "${snippet(change.what)}" from ${snippet(change.from)} to ${snippet(change.to)}: ${snippet(change.why)}`;
		case 'evidence.sealed':
			return `sealed "${snippet(change.what)}" (SHA-256 checked)`;
		case 'action.taken':
			return change.override === null
				? `recorded ${change.action} of ${snippet(change.system)}`
				: `recorded ${change.action} of ${snippet(change.system)} without a capture: ${snippet(change.override)}`;
		case 'incident.closed':
			return `closed the incident${change.kind === 'security' ? (change.credentialsRotated ? ', confirming credentials were rotated' : '') : ''}${change.exceptions.length > 0 ? ` (${change.exceptions.length} checklist exception${change.exceptions.length === 1 ? '' : 's'})` : ''}`;
		case 'incident.reopened':
			return `reopened the incident: ${snippet(change.reason)}`;
		case 'incident.escalated':
			return `escalated the ${change.from} to a security incident: ${snippet(change.reason)}`;
	}
}

function show(value: unknown): string {
	if (value === null || value === undefined) return '(none)';
	const text = typeof value === 'string' ? value : JSON.stringify(value);
	return `"${snippet(text)}"`;
}
