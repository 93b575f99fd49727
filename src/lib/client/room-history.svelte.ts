/**
 * What the incident log says about the room: provenance (who added and edited each entry and
 * annotation) and the latest log events for the Log panel. Owned by IncidentRoom.
 *
 * Catch-up and live events meet here. `refresh()` runs after every sync (the first and each
 * reconnect): it fetches provenance and the latest log page, while events that arrive during the
 * fetch are both applied at once and buffered; when the fetch lands, the buffer is folded into
 * the fetched state (`addEvent` skips seqs already folded), so nothing received live is lost and
 * nothing missed while offline stays missing.
 */
import { addEvent, emptyProvenance, type Provenance } from '$lib/shared/provenance';
import type { LogEvent } from '$lib/shared/protocol';
import { api, type LogPage } from './api';

/**
 * How many log events the Log panel keeps. Generous, because live typing logs a row per burst of
 * keystrokes and the panel folds those runs into single lines.
 */
export const LOG_WINDOW = 300;

export class RoomHistory {
	provenance = $state<Provenance>(emptyProvenance());
	/** True once provenance has been fetched at least once. */
	loaded = $state(false);
	/** The latest events, oldest first. */
	log = $state.raw<LogEvent[]>([]);
	#buffer: LogEvent[] | null = null;
	#generation = 0;

	constructor(private readonly incidentId: string) {}

	/** A live log event (message type 100). */
	receive(event: LogEvent): void {
		addEvent(this.provenance, event);
		this.log = mergeLog(this.log, [event]);
		this.#buffer?.push(event);
	}

	/**
	 * Fetches provenance and the latest log page and merges live events received meanwhile.
	 * Resolves false when a newer refresh superseded this one; rejects with the API error.
	 */
	async refresh(): Promise<boolean> {
		const generation = ++this.#generation;
		const buffer: LogEvent[] = [];
		this.#buffer = buffer;
		try {
			const [provenance, page] = await Promise.all([
				api.provenance(this.incidentId, { allowUnauthenticated: true }),
				this.#latestLog()
			]);
			if (generation !== this.#generation) return false;
			for (const event of buffer) addEvent(provenance, event);
			this.provenance = provenance;
			this.log = mergeLog(page.events, buffer);
			this.loaded = true;
			return true;
		} finally {
			if (generation === this.#generation) this.#buffer = null;
		}
	}

	/** Stops any refresh in flight from landing (the room is closing). */
	cancel(): void {
		this.#generation++;
		this.#buffer = null;
	}

	/** The newest LOG_WINDOW events: the page just before the largest possible seq. */
	#latestLog(): Promise<LogPage> {
		return api.log(this.incidentId, { before: 2_147_483_647, limit: LOG_WINDOW }, { allowUnauthenticated: true });
	}
}

/** Both lists together, one event per seq, oldest first, at most LOG_WINDOW. */
function mergeLog(current: readonly LogEvent[], incoming: readonly LogEvent[]): LogEvent[] {
	const bySeq = new Map<number, LogEvent>();
	for (const event of current) bySeq.set(event.seq, event);
	for (const event of incoming) bySeq.set(event.seq, event);
	return [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-LOG_WINDOW);
}
