/**
 * What an incident must have before it may close, per kind. The server checks these on the
 * final state when `POST /api/incidents/:id/close` arrives (422 lists what is missing); the room
 * shows the same list live, so nobody learns about a gate only at the end.
 *   Outage: an impact summary; the cause (or "unknown", then at least one follow-up to find it);
 *     follow-up actions, each with an owner.
 *   Security: every containment checklist step done or skipped with a reason; credentials rotated
 *     (confirmed by whoever closes); evidence registered and every item sealed; a summary.
 */
import type { IncidentKind } from './incident-kinds';
import type { IncidentRecords } from './records';
import type { RoomState } from './room-state';

export interface MissingGate {
	gate: 'summary' | 'cause' | 'followUps' | 'followUpOwners' | 'checklist' | 'credentials' | 'evidence' | 'evidenceSealed';
	message: string;
}

export interface CloseAttestation {
	/** For security incidents: the person closing confirms possibly exposed credentials were rotated. */
	credentialsRotated?: boolean;
}

export function isUnknownCause(cause: string): boolean {
	return cause.trim().toLowerCase() === 'unknown';
}

/**
 * `required`: the steps the server put in the checklist (template, escalation). A step counts as
 * present when an item with its id, or with the same label, is in the list; one that is gone (a
 * log written before the server refused removals) is missing until someone adds it back.
 */
export function missingGates(
	kind: IncidentKind,
	state: RoomState,
	records: IncidentRecords,
	attest: CloseAttestation,
	required: readonly { id: string; label: string }[] = []
): MissingGate[] {
	const missing: MissingGate[] = [];
	const summary = state.meta.summary.trim();
	if (kind === 'outage') {
		if (summary === '') missing.push({ gate: 'summary', message: 'an impact summary (the "Summary for stakeholders" field): who was affected, how, and for how long' });
		const cause = state.meta.cause.trim();
		if (cause === '') missing.push({ gate: 'cause', message: 'the cause, or "unknown" with a follow-up to find it' });
		if (state.followUps.length === 0) {
			missing.push({
				gate: 'followUps',
				message: isUnknownCause(cause) ? 'a follow-up to find the unknown cause' : 'at least one follow-up action'
			});
		}
		const ownerless = state.followUps.filter((f) => f.owner.trim() === '');
		if (ownerless.length > 0) {
			missing.push({ gate: 'followUpOwners', message: `an owner for each follow-up (${ownerless.map((f) => `"${f.text}"`).join(', ')})` });
		}
		return missing;
	}
	const open = state.checklist.filter((item) => !item.done && item.exception === null);
	if (open.length > 0) {
		missing.push({ gate: 'checklist', message: `each containment step done or skipped with a reason (${open.map((i) => `"${i.label}"`).join(', ')})` });
	}
	const ids = new Set(state.checklist.map((item) => item.id));
	const labels = new Set(state.checklist.map((item) => item.label.trim().toLowerCase()));
	const gone = required.filter((step) => !ids.has(step.id) && !labels.has(step.label.trim().toLowerCase()));
	if (gone.length > 0) {
		missing.push({ gate: 'checklist', message: `containment steps that are no longer in the checklist; add them back and complete them (${gone.map((i) => `"${i.label}"`).join(', ')})` });
	}
	if (attest.credentialsRotated !== true) {
		missing.push({ gate: 'credentials', message: 'confirmation that possibly compromised credentials were rotated' });
	}
	if (records.evidence.length === 0) {
		missing.push({ gate: 'evidence', message: 'the evidence register: at least one item (what was preserved, with its SHA-256)' });
	}
	const unsealed = records.evidence.filter((item) => item.sealed === null);
	if (unsealed.length > 0) {
		missing.push({ gate: 'evidenceSealed', message: `every evidence item sealed (${unsealed.map((i) => `"${i.what}"`).join(', ')})` });
	}
	if (summary === '') missing.push({ gate: 'summary', message: 'a summary of what happened (the "Summary for stakeholders" field; stakeholder links show it)' });
	return missing;
}
