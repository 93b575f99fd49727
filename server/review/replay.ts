/**
 * The room as it was after log row N: the document rebuilt from the newest snapshot at or below N
 * plus the updates after it up to N, in a document worker of its own (the same time budget as
 * loading a room, so a costly log cannot stall the server), and the records folded from the
 * command rows up to N.
 */
import type { LogEvent } from '../../src/lib/shared/protocol';
import { foldRecords, type IncidentRecords } from '../../src/lib/shared/records';
import type { RoomState } from '../../src/lib/shared/room-state';
import type { LogStore } from '../log/log-store';
import { DocEngine } from '../sync/doc-engine';

export interface StateAt {
	seq: number;
	/** When the server received row `seq`. */
	at: string;
	state: RoomState;
	records: IncidentRecords;
}

export async function stateAt(log: LogStore, incidentId: string, seq: number): Promise<StateAt> {
	const snapshot = await log.latestSnapshot(incidentId, seq);
	const [rows, recordEvents, [row]] = await Promise.all([
		log.updatesAfter(incidentId, snapshot?.seq ?? 0, seq),
		log.recordEvents(incidentId, seq),
		log.events(incidentId, { after: seq - 1, limit: 1 })
	]);
	const engine = new DocEngine(() => {});
	try {
		await engine.load(
			snapshot?.state ?? null,
			rows.map((r) => r.update),
			[]
		);
		const state = await engine.roomState();
		return { seq, at: (row as LogEvent).at, state, records: foldRecords(recordEvents) };
	} finally {
		engine.destroy();
	}
}
