/**
 * The incident's phase history, kept current for the room header. Owned by IncidentRoom: it
 * calls `load()` after every sync and `receive()` for every live log event.
 *
 * RoomHistory keeps only the latest LOG_WINDOW rows, and a busy room's typing pushes a status
 * change out of that window within minutes, so this asks the server for just the rows that set
 * the phase (`GET /api/incidents/:id/phases`), after every sync; live events add to them. A live
 * event and a read can carry the same row: rows are kept by seq, so that is harmless.
 */
import type { LogEvent } from '$lib/shared/protocol';
import { api } from './api';
import { isPhaseEvent, phasesFromLog, type Phase } from './phase-history';

type PhaseEvent = Pick<LogEvent, 'seq' | 'at' | 'actor' | 'changes'>;

export class RoomPhases {
	phases = $state.raw<Phase[]>([]);
	/** True once the log has been read to its head at least once. */
	loaded = $state(false);
	#events = new Map<number, PhaseEvent>();
	#loading: Promise<void> | null = null;
	#cancelled = false;

	constructor(private readonly incidentId: string) {}

	receive(event: LogEvent): void {
		if (!isPhaseEvent(event) || this.#events.has(event.seq)) return;
		this.#keep(event);
		this.phases = phasesFromLog([...this.#events.values()]);
	}

	/** Reads the phase rows; a call while one runs waits for it. */
	load(): Promise<void> {
		this.#loading ??= this.#read().finally(() => (this.#loading = null));
		return this.#loading;
	}

	cancel(): void {
		this.#cancelled = true;
	}

	async #read(): Promise<void> {
		const { events } = await api.phases(this.incidentId, { allowUnauthenticated: true });
		if (this.#cancelled) return;
		for (const event of events) if (isPhaseEvent(event)) this.#keep(event);
		this.phases = phasesFromLog([...this.#events.values()]);
		this.loaded = true;
	}

	#keep(event: PhaseEvent): void {
		// Only the changes phases read, so a long incident's log is not held twice in memory.
		const changes = event.changes.filter((c) => c.type === 'incident.created' || (c.type === 'field.changed' && c.field === 'status'));
		this.#events.set(event.seq, { seq: event.seq, at: event.at, actor: event.actor, changes });
	}
}
