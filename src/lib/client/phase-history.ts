/**
 * The incident's phases from its log: the status it opened with (`incident.created`, the kind's
 * first status) and every `field.changed` of `status` after it, each with the server's time and
 * the person behind it. The room header shows the current phase, how long it has lasted, and
 * this history (RoomPhases keeps it current). The document only knows the status now; when it
 * changed and who changed it is the log's to say.
 */
import type { Actor } from '$lib/shared/provenance';
import { initialStatus, isIncidentKind } from '$lib/shared/incident-kinds';
import type { LogEvent } from '$lib/shared/protocol';

export interface Phase {
	status: string;
	/** When the server received the change into this phase (ISO 8601). */
	since: string;
	/** When the next phase began, or null for the current one. */
	until: string | null;
	seq: number;
	by: Actor | null;
}

/** True when the event opened the incident or changed its status: the only ones phases need. */
export function isPhaseEvent(event: Pick<LogEvent, 'changes'>): boolean {
	return event.changes.some((c) => c.type === 'incident.created' || (c.type === 'field.changed' && c.field === 'status'));
}

/**
 * The phases in order. Events may come in any order and more than once (a catch-up page and a
 * live event can overlap); each seq counts once. A status change to the status the incident is
 * already in is no new phase.
 */
export function phasesFromLog(events: readonly Pick<LogEvent, 'seq' | 'at' | 'actor' | 'changes'>[]): Phase[] {
	const bySeq = new Map<number, Pick<LogEvent, 'seq' | 'at' | 'actor' | 'changes'>>();
	for (const event of events) bySeq.set(event.seq, event);
	const phases: Phase[] = [];
	for (const event of [...bySeq.values()].sort((a, b) => a.seq - b.seq)) {
		for (const change of event.changes) {
			let status: string | null = null;
			if (change.type === 'incident.created' && isIncidentKind(change.kind)) status = initialStatus(change.kind);
			else if (change.type === 'field.changed' && change.field === 'status' && typeof change.to === 'string') status = change.to;
			if (status === null || phases.at(-1)?.status === status) continue;
			const previous = phases.at(-1);
			if (previous) previous.until = event.at;
			phases.push({ status, since: event.at, until: null, seq: event.seq, by: event.actor });
		}
	}
	return phases;
}

/** The phase the log says the incident is in, if it agrees with the document's status. */
export function currentPhase(phases: readonly Phase[], status: string): Phase | null {
	const last = phases.at(-1);
	return last && last.status === status ? last : null;
}

/**
 * "12 s", "4 min", "2 h 05 min", "3 d 4 h": coarse enough to read at a glance, fine enough to
 * see it tick over the first minutes.
 */
export function formatElapsed(ms: number): string {
	const seconds = Math.max(0, Math.floor(ms / 1000));
	if (seconds < 60) return `${seconds} s`;
	const minutes = Math.floor(seconds / 60);
	if (minutes < 60) return `${minutes} min`;
	const hours = Math.floor(minutes / 60);
	if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
	const days = Math.floor(hours / 24);
	return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** How long the clock should wait before the elapsed text can change. */
export function elapsedTickMs(ms: number): number {
	return ms < 60_000 ? 1000 : 15_000;
}
